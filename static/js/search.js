/* lingyuan-site search: lunr.js over a sharded index of counts that this script weighs as lunr.py
 * does (src/lingyuan_site/search/: the format is in shards.py), and the search page built on it.
 *
 * A query is folded (widths, case, Traditional → Simplified) and split into terms at spaces; a
 * phrase in quotes is one term (search.query_terms). Each term's tokens mirror
 * search.query_tokens(): its Chinese character bigrams are required, the whole term is an optional
 * boosted word, Latin/number runs are prefix terms. Only the shards a query needs are fetched. A
 * story is a candidate when it matches every term; it is shown only once its own text (the result
 * file the page fetches anyway) holds every term as typed, so bigrams found apart never make a
 * result. A story's number holds its date (day key × meta.slots + its place that day, a year being
 * 416 day keys): newest first is descending number order, and a year is a range of numbers. The
 * query is never inserted into the page as HTML.
 *
 * Loaded by the search page, and by site.js on any page when the reader starts to search. */
(function () {
  "use strict";

  if (typeof lunr === "undefined" || window.lingyuanSearch) return;
  var root = document.body.getAttribute("data-root") || "";
  var base = root + "search/";
  var CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff";
  var RUN_RE = new RegExp("[" + CJK + "]+|[0-9a-z]+", "g");
  var CJK_START = new RegExp("^[" + CJK + "]");
  var TERM_RE = /"([^"]*)"|“([^”]*)”|「([^」]*)」|(\S+)/g;

  var meta = null, foldMap = null, avg = null, shards = {}, index = null, indexKey = "";
  var lengths = {}, blocks = {};  // story number → its field lengths (those loaded); the files of them loaded
  var docs = {}, docBlocks = {};  // story number → its document (those loaded); block → the promise of its file

  function getJSON(path) {
    return fetch(base + path).then(function (r) {
      if (!r.ok) throw new Error(path + ": " + r.status);
      return r.json();
    });
  }

  /* shards and documents are gzip files (.bin); a server may also have decoded them already */
  function getPacked(path) {
    return fetch(base + path).then(function (r) {
      if (!r.ok) throw new Error(path + ": " + r.status);
      return r.arrayBuffer();
    }).then(function (buf) {
      var bytes = new Uint8Array(buf);
      if (bytes[0] !== 0x1f || bytes[1] !== 0x8b) return new TextDecoder().decode(bytes);
      var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
      return new Response(stream).text();
    }).then(JSON.parse);
  }

  function loadMeta() {
    if (meta) return Promise.resolve(meta);
    return getJSON("index/meta.json").then(function (m) {
      meta = m;
      avg = m.lengths.map(function (total) { return total / (m.docs || 1); });
      foldMap = {};
      for (var i = 0; i + 1 < m.fold.length; i += 2) foldMap[m.fold[i]] = m.fold[i + 1];
      return m;
    });
  }

  /* search.fold_query: NFKC (full-width → half-width), lower case, Traditional → Simplified */
  function fold(text) {
    var s = text.normalize("NFKC").toLowerCase(), out = "";
    for (var ch of s) out += (foldMap && foldMap[ch]) || ch;
    return out;
  }

  /* fold, one character for one (NFKC turns … into three): for finding places in a text */
  function foldInPlace(text) {
    var out = "";
    for (var ch of text) {
      var f = ch.normalize("NFKC").toLowerCase();
      f = f.length === ch.length ? f : ch.toLowerCase().length === ch.length ? ch.toLowerCase() : ch;
      out += (foldMap && foldMap[f]) || f;
    }
    return out;
  }

  /* search.query_terms: folded terms; a quoted phrase is one term, its spaces dropped */
  function queryTerms(query) {
    var terms = [], m, s = fold(query);
    TERM_RE.lastIndex = 0;
    while ((m = TERM_RE.exec(s))) {
      var quoted = m[1] !== undefined ? m[1] : m[2] !== undefined ? m[2] : m[3];
      var term = quoted !== undefined ? quoted.replace(/\s+/g, "") : m[4];
      if (term) terms.push(term);
    }
    return terms;
  }

  /* search.query_tokens */
  function queryTokens(term) {
    var out = [], runs = term.match(RUN_RE) || [];
    runs.forEach(function (run) {
      if (CJK_START.test(run)) {
        var chars = Array.from(run);
        if (chars.length === 1) {
          out.push({ token: run, required: true, wildcard: true, boost: 1 });
        } else {
          for (var i = 0; i + 1 < chars.length; i++) out.push({ token: chars[i] + chars[i + 1], required: true, wildcard: false, boost: 1 });
          if (chars.length >= 3) out.push({ token: run, required: false, wildcard: false, boost: meta.wholeWordBoost });
        }
      } else {
        out.push({ token: run, required: true, wildcard: true, boost: 1 });
      }
    });
    return out;
  }

  /* search/shards.py shard_of and shards_of_prefix: a token's shard by its first two characters;
   * a one-character prefix may be in any shard of its first character's group */
  function shardOf(token) {
    var chars = Array.from(token), g = chars[0].codePointAt(0) % meta.groups;
    return g * meta.subs + (chars.length > 1 ? chars[1].codePointAt(0) % meta.subs : 0);
  }
  function shardsOfPrefix(prefix) {
    var chars = Array.from(prefix);
    if (chars.length > 1) return [shardOf(prefix)];
    var g = chars[0].codePointAt(0) % meta.groups, out = [];
    for (var s = 0; s < meta.subs; s++) out.push(g * meta.subs + s);
    return out;
  }

  /* each posting of a shard's terms that `want` (term → bool) keeps: each(term index, field, doc, j) */
  function eachPosting(part, want, each) {
    if (!part || !part.t) return;  // an empty shard
    for (var t = 0, j = 0; t < part.t.length; t++) {
      var end = j + part.n[t];
      if (want && !want(part.t[t])) { j = end; continue; }
      for (var doc = 0, prevField = -1; j < end; j++) {
        var f = part.f[j];
        doc = f === prevField ? doc + part.d[j] : part.d[j];
        prevField = f;
        each(t, f, doc, j);
      }
    }
  }

  /* the stories a token matches in the given fields (a prefix: every term it starts) */
  function docsOf(token, wildcard, fieldNames) {
    var out = new Set(), allowed = fieldNames.map(function (name) { return meta.fields.indexOf(name); });
    var want = wildcard ? function (term) { return term.lastIndexOf(token, 0) === 0; } : function (term) { return term === token; };
    (wildcard ? shardsOfPrefix(token) : [shardOf(token)]).forEach(function (k) {
      eachPosting(shards[k], want, function (t, f, doc) { if (allowed.indexOf(f) >= 0) out.add(doc); });
    });
    return out;
  }

  /* a query's candidates: the stories every required token matches (lunr scores no other story, so
   * only their field lengths are needed) */
  function candidates(perTerm, theme) {
    var sets = [];
    perTerm.forEach(function (toks) {
      toks.forEach(function (t) { if (t.required) sets.push(docsOf(t.token, t.wildcard, meta.searchFields)); });
    });
    if (theme) sets.push(docsOf(theme, false, ["theme"]));
    sets.sort(function (a, b) { return a.size - b.size; });
    var out = new Set(sets[0]);
    sets.slice(1).forEach(function (set) { out.forEach(function (doc) { if (!set.has(doc)) out.delete(doc); }); });
    return out;
  }

  /* the field lengths that postings of the given stories need: the files of their blocks for
   * those fields (search/shards.py, format 6 and on), each fetched once. `need` holds field * blocks + block. */
  function ensureLengths(need) {
    var wanted = [];
    need.forEach(function (fb) { if (!blocks[fb]) wanted.push(fb); });
    return Promise.all(wanted.map(function (fb) {
      var f = Math.floor(fb / meta.blocks), b = fb % meta.blocks;
      return getPacked("lengths/" + meta.fields[f] + "/" + b + ".bin").then(function (part) {
        for (var i = 0, ref = 0; i < part.r.length; i++) {
          ref += part.r[i];
          (lengths[ref] || (lengths[ref] = []))[f] = part.l[i];
        }
        blocks[fb] = true;
      });
    }));
  }

  /* the lunr index of the loaded shards; with `keep` (term → bool), of only the terms it keeps,
   * and with `wanted` (→ a set of story numbers), of only those stories' postings, in the fields
   * `inField(term, field)` allows. A query needs only its own terms, candidates and fields: lunr
   * scores a document by the dot product of the query vector with the document's field vectors
   * over the query vector's magnitude, so terms outside the query change no score, and an index
   * of a query's terms is small to build. Every kept term stays, with no postings if need be: a
   * prefix's expansions make the query vector. */
  function ensureIndex(needed, keep, key, wanted, inField) {
    var missing = needed.filter(function (k) { return !shards[k]; });
    var only = null;
    return Promise.all([].concat(missing.map(function (k) {
      return getPacked("index/" + k + ".bin").then(function (part) { shards[k] = part; });
    }))).then(function () {
      only = wanted ? wanted() : null;
      var need = new Set();
      Object.keys(shards).forEach(function (k) {
        var part = shards[k];
        eachPosting(part, keep, function (t, f, doc) {
          if ((!only || only.has(doc)) && (!inField || inField(part.t[t], f))) need.add(f * meta.blocks + doc % meta.blocks);
        });
      });
      return ensureLengths(need);
    }).then(function () {
      key = (key || "") + "|" + Object.keys(shards).sort().join(",");
      if (key !== indexKey) { index = lunr.Index.load(merge(keep, only, inField)); indexKey = key; }
      return index;
    });
  }

  /* round(x, 3) * 1000 as Python rounds it: to the nearest integer, and where x * 1000 lies within
   * a hair of .5, from x's exact decimal digits (toFixed gives them), an exact tie going to even */
  function roundMilli(x) {
    var s = x * 1000;
    if (Math.abs(s - Math.floor(s) - 0.5) >= 1e-6) return Math.round(s);
    var digits = x.toFixed(100), dot = digits.indexOf(".");
    var milli = Number(digits.slice(0, dot) + digits.slice(dot + 1, dot + 4));
    var rest = digits.slice(dot + 4).replace(/0+$/, "");
    if (rest > "5" || (rest === "5" && milli % 2 === 1)) milli += 1;
    return milli;
  }

  /* search.lunr_weight: lunr.py's BM25 (k1 1.2, b 0.75), operation for operation */
  var K1 = 1.2, B = 0.75;
  function lunrWeight(docs, df, tf, length, average, boost) {
    var idf = Math.log(1 + Math.abs((docs - df + 0.5) / (df + 0.5)));
    var score = idf * ((K1 + 1) * tf) / (K1 * (1 - B + B * (length / average)) + tf);
    score *= boost;
    return roundMilli(score) / 1000;
  }

  function byText(a, b) { return a < b ? -1 : a > b ? 1 : 0; }

  /* search.merge_shards: columnar shards (terms, then one row per posting) → one serialised lunr
   * index, every posting weighed from its count. A posting is an inverted-index entry and a
   * field-vector element at once. Terms are numbered in text order. */
  var NO_METADATA = Object.freeze({});  // lunr copies a posting's metadata, never changes it

  function merge(keep, only, inField) {
    var fields = meta.fields, n = fields.length, inverted = [], vectors = new Map(), all = [];
    var keys = Object.keys(shards);
    keys.forEach(function (k) { if (shards[k].t) all.push.apply(all, keep ? shards[k].t.filter(keep) : shards[k].t); });
    all.sort(byText);
    var number = new Map();
    all.forEach(function (t, i) { number.set(t, i); });
    var unsorted = new Set();  // field vectors whose elements came out of index order
    keys.forEach(function (k) {
      var part = shards[k], posting = null, index = 0;
      eachPosting(part, keep, function (t, f, doc, j) {
        if (!posting || posting.t !== t) {
          index = number.get(part.t[t]);
          posting = { t: t, entry: {} };
          for (var g = 0; g < n; g++) posting.entry[fields[g]] = {};
          posting.entry._index = index;
          inverted.push([part.t[t], posting.entry]);
        }
        if ((only && !only.has(doc)) || (inField && !inField(part.t[t], f))) return;
        posting.entry[fields[f]][doc] = NO_METADATA;
        var ref = fields[f] + "/" + doc, v = vectors.get(ref);
        var weight = lunrWeight(meta.docs, part.n[t], part.c[j], lengths[doc][f], avg[f], meta.boosts[f]);
        if (v === undefined) vectors.set(ref, [index, weight]);
        else { if (v[v.length - 2] > index) unsorted.add(ref); v.push(index, weight); }
      });
    });
    unsorted.forEach(function (ref) {
      var v = vectors.get(ref), pairs = [];
      for (var i = 0; i < v.length; i += 2) pairs.push([v[i], v[i + 1]]);
      pairs.sort(function (a, b) { return a[0] - b[0]; });
      vectors.set(ref, [].concat.apply([], pairs));
    });
    var refs = Array.from(vectors.keys());
    if (!keep) refs.sort();  // the order lunr.py serialises in (the tests compare); lunr.js ignores it
    var fieldVectors = refs.map(function (ref) { return [ref, vectors.get(ref)]; });
    inverted.sort(function (a, b) { return byText(a[0], b[0]); });
    return { version: meta.version, fields: fields, fieldVectors: fieldVectors, invertedIndex: inverted, pipeline: [] };
  }

  /* search.python_search: one lunr query per term; a candidate matches every term, ranked by the
   * sum of its scores. Returns {terms, results: [{ref, score}]}, best first. */
  function run(query, theme) {
    var terms = queryTerms(query).filter(function (t) { return queryTokens(t).length; });
    if (!terms.length) return Promise.resolve({ terms: [], results: [] });
    var perTerm = terms.map(queryTokens), needed = {};
    perTerm.forEach(function (toks) {
      toks.forEach(function (t) { (t.wildcard ? shardsOfPrefix(t.token) : [shardOf(t.token)]).forEach(function (k) { needed[k] = true; }); });
    });
    if (theme) needed[shardOf(theme)] = true;
    var exact = new Set(), prefixes = [];
    perTerm.forEach(function (toks) { toks.forEach(function (t) { if (t.wildcard) prefixes.push(t.token); else exact.add(t.token); }); });
    var asked = function (term) { return exact.has(term) || prefixes.some(function (p) { return term.lastIndexOf(p, 0) === 0; }); };
    var keep = function (term) { return term === theme || asked(term); };
    var key = Array.from(exact).concat(theme ? [theme] : []).sort().join(" ") + "*" + prefixes.sort().join(" ");
    var wanted = function () { return candidates(perTerm, theme); };
    // the fields each clause asks: the query's tokens the search fields, the theme its own
    var searchField = meta.fields.map(function (name) { return meta.searchFields.indexOf(name) >= 0; });
    var inField = function (term, f) { return searchField[f] ? asked(term) : term === theme && meta.fields[f] === "theme"; };
    return ensureIndex(Object.keys(needed).map(Number), keep, key, wanted, inField).then(function (idx) {
      var combined = {};
      perTerm.forEach(function (toks) {
        idx.query(function (q) {
          toks.forEach(function (t) {
            q.term(t.token, {
              fields: meta.searchFields,
              presence: t.required ? lunr.Query.presence.REQUIRED : lunr.Query.presence.OPTIONAL,
              wildcard: t.wildcard ? lunr.Query.wildcard.TRAILING : lunr.Query.wildcard.NONE,
              boost: t.boost,
              usePipeline: false
            });
          });
          if (theme) q.term(theme, { fields: ["theme"], presence: lunr.Query.presence.REQUIRED, usePipeline: false });
        }).forEach(function (r) {
          var c = combined[r.ref] || (combined[r.ref] = { ref: Number(r.ref), n: 0, score: 0 });
          c.n += 1;
          c.score += r.score;
        });
      });
      var results = Object.keys(combined).map(function (k) { return combined[k]; })
        .filter(function (c) { return c.n === terms.length; });
      results.sort(function (a, b) {
        return Math.round(b.score * 1e6) - Math.round(a.score * 1e6) || b.ref - a.ref;
      });
      return { terms: terms, results: results };
    });
  }

  /* a story's year from its number (search/shards.py: day key = ref / slots, year = day key / 416) */
  function yearOf(ref) { return Math.floor(Math.floor(ref / meta.slots) / 416); }

  /* candidates in the order asked for (relevance, or "date": newest first) and the years asked for */
  function arrange(results, sort, from, to) {
    var kept = results.filter(function (r) {
      var y = yearOf(r.ref);
      return (!from || y >= from) && (!to || y <= to);
    });
    if (sort === "date") kept.sort(function (a, b) { return b.ref - a.ref; });
    return kept;
  }

  /* search/shards.py doc_block: the block of documents a story number is in */
  function docBlock(ref) { return (Math.imul(ref >>> 0, 2654435761 | 0) >>> 8) & (meta.docBlocks - 1); }

  function loadDoc(ref) {
    if (docs[ref]) return Promise.resolve(docs[ref]);
    var b = docBlock(ref);
    if (!docBlocks[b]) {
      docBlocks[b] = getPacked("docs/" + b + ".bin").then(function (pairs) {
        pairs.forEach(function (p) { docs[p[0]] = p[1]; });
      });
    }
    return docBlocks[b].then(function () { return docs[ref]; });
  }

  /* search.holds_terms: the story's own text holds every term as typed (folded, spaces ignored) */
  function holds(doc, terms) {
    if (doc.cut) return true;
    var text = fold(doc.title + "\n" + doc.text + "\n" + (doc.more || "")).replace(/\s+/g, "");
    return terms.every(function (t) { return text.indexOf(t) >= 0; });
  }

  /* A list of candidates shown a screen at a time: each is checked against its text before it is
   * shown. take(n) gives the next n that hold every term. */
  function Checked(candidates, terms) {
    this.candidates = candidates;
    this.terms = terms;
    this.next = 0;        // the next candidate to check
    this.rejected = 0;
    this.shown = 0;
  }
  Checked.prototype.take = function (n) {
    var self = this, out = [];
    function step() {
      if (out.length >= n || self.next >= self.candidates.length) return Promise.resolve(out);
      var batch = self.candidates.slice(self.next, self.next + (n - out.length));
      self.next += batch.length;
      return Promise.all(batch.map(function (c) { return loadDoc(c.ref); })).then(function (loaded) {
        loaded.forEach(function (d, i) {
          if (holds(d, self.terms)) out.push({ ref: batch[i].ref, doc: d });
          else self.rejected += 1;
        });
        return step();
      });
    }
    return step().then(function (found) { self.shown += found.length; return found; });
  };
  Checked.prototype.done = function () { return this.next >= this.candidates.length; };
  /* the number of results: exact once every candidate is checked, else at most this many */
  Checked.prototype.count = function () { return this.candidates.length - this.rejected; };

  /* where a result link goes: the story, with the terms to mark there */
  function href(doc, terms) {
    return root + doc.url + (terms.length ? "?h=" + encodeURIComponent(terms.join(" ")) : "");
  }

  /* a window of text around the first match, with every query term marked */
  function snippet(text, terms) {
    var t = text.replace(/\s+/g, " "), lower = foldInPlace(t), at = -1;
    var needles = terms.slice().sort(function (a, b) { return b.length - a.length; });
    needles.forEach(function (n) { var i = lower.indexOf(n); if (i >= 0 && (at < 0 || i < at)) at = i; });
    var start = Math.max(0, at - 30), end = Math.min(t.length, start + 110);
    var frag = document.createDocumentFragment();
    if (start > 0) frag.appendChild(document.createTextNode("…"));
    var piece = t.slice(start, end), lp = lower.slice(start, end), pos = 0;
    while (pos < piece.length) {
      var best = -1, len = 0;
      needles.forEach(function (n) {
        var i = lp.indexOf(n, pos);
        if (i >= 0 && (best < 0 || i < best || (i === best && n.length > len))) { best = i; len = n.length; }
      });
      if (best < 0) { frag.appendChild(document.createTextNode(piece.slice(pos))); break; }
      if (best > pos) frag.appendChild(document.createTextNode(piece.slice(pos, best)));
      var mark = document.createElement("mark");
      mark.textContent = piece.slice(best, best + len);
      frag.appendChild(mark);
      pos = best + len;
    }
    if (end < t.length) frag.appendChild(document.createTextNode("…"));
    return frag;
  }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  var engine = {
    ready: function () { return loadMeta(); },
    meta: function () { return meta; },
    fold: fold,
    queryTerms: queryTerms,
    queryTokens: queryTokens,
    run: function (query, theme) { return loadMeta().then(function () { return run(query, theme); }); },
    arrange: arrange,
    yearOf: yearOf,
    Checked: Checked,
    loadDoc: loadDoc,
    holds: holds,
    href: href,
    snippet: snippet,
    /* for tests: the lunr index the given shards make (search.merge_shards in Python) */
    mergedIndex: function (needed) { return ensureIndex(needed).then(function () { return merge(); }); },
    /* for tests: forget the shards and lengths loaded, as a new page would */
    reset: function () { shards = {}; lengths = {}; blocks = {}; docs = {}; docBlocks = {}; index = null; indexKey = ""; },
    roundMilli: roundMilli
  };
  window.lingyuanSearch = engine;
  document.dispatchEvent(new CustomEvent("lingyuan-search-ready"));

  /* ------------------------------------------------------------------ the search page */
  var app = document.getElementById("search-app");
  if (!app) return;
  var PAGE_SIZE = 10;
  var form = document.getElementById("search-form");
  var input = document.getElementById("search-q");
  var themeSelect = document.getElementById("search-theme");
  var sortSelect = document.getElementById("search-sort");
  var fromSelect = document.getElementById("search-from");
  var toSelect = document.getElementById("search-to");
  var status = document.getElementById("search-status");
  var yearsBox = document.getElementById("search-years");
  var list = document.getElementById("search-results");
  var more = document.getElementById("search-more");
  var current = null, seq = 0;

  /* the URL's state: q, sort=date, theme=<slug>, year=2022 | 2020-2022 | 2020- | -2022; anything
   * else (an unknown theme, a malformed year) is ignored */
  function stateFromURL() {
    var p = new URLSearchParams(location.search), year = p.get("year") || "";
    var m = /^(\d{4})?(-)?(\d{4})?$/.exec(year) || [], theme = p.get("theme") || "";
    var known = themeSelect && Array.prototype.some.call(themeSelect.options, function (o) { return o.value === theme; });
    return { q: p.get("q") || "", theme: known ? theme : "", sort: p.get("sort") === "date" ? "date" : "",
             from: m[1] || "", to: m[3] || (m[2] ? "" : m[1] || "") };
  }

  function stateFromForm() {
    var from = fromSelect.value, to = toSelect.value;
    if (from && to && Number(from) > Number(to)) { var t = from; from = to; to = t; }
    return { q: input.value, theme: themeSelect ? themeSelect.value : "", sort: sortSelect.value, from: from, to: to };
  }

  function urlFor(s) {
    var p = new URLSearchParams();
    if (s.q) p.set("q", s.q);
    if (s.sort) p.set("sort", s.sort);
    if (s.from || s.to) p.set("year", s.from === s.to ? s.from : s.from + "-" + s.to);
    if (s.theme) p.set("theme", s.theme);
    var q = p.toString();
    return location.pathname + (q ? "?" + q : "");
  }

  function fill(s) {
    input.value = s.q;
    if (themeSelect) themeSelect.value = s.theme;
    sortSelect.value = s.sort;
    fromSelect.value = s.from;
    toSelect.value = s.to;
  }

  /* the reader's place, kept in the history entry so Back brings it back */
  function remember(extra) {
    var st = Object.assign({}, history.state || {}, { shown: list.children.length, scroll: window.scrollY }, extra || {});
    history.replaceState(st, "", location.href);
  }

  function describe(s) {
    var parts = [];
    if (s.theme && themeSelect) parts.push("主题：" + themeSelect.options[themeSelect.selectedIndex].text);
    if (s.from || s.to) parts.push(s.from === s.to ? s.from + "年" : !s.from ? s.to + "年及以前" : !s.to ? s.from + "年以来" : s.from + "—" + s.to + "年");
    if (s.sort === "date") parts.push("按时间排列");
    return parts.length ? "（" + parts.join("，") + "）" : "";
  }

  function showYears(results, s) {
    yearsBox.textContent = "";
    if (!results.length || s.from || s.to) return;
    var counts = {};
    results.forEach(function (r) { var y = engine.yearOf(r.ref); counts[y] = (counts[y] || 0) + 1; });
    var years = Object.keys(counts).sort().reverse();
    if (years.length < 2) return;
    yearsBox.appendChild(el("span", "", "按年份："));
    years.forEach(function (y) {
      var b = el("button", "year-facet", y + "年 ");
      b.type = "button";
      b.appendChild(el("small", "", String(counts[y])));
      b.addEventListener("click", function () { fromSelect.value = toSelect.value = y; go(true); });
      yearsBox.appendChild(b);
    });
  }

  function render(found, terms) {
    found.forEach(function (f) {
      var d = f.doc, li = el("li"), a = el("a", "", d.title), h = el("h2");
      if (d.thumb) {
        var pic = el("picture", "thumb"), src = el("source"), img = el("img");
        src.type = "image/webp";
        src.srcset = root + d.thumb.webp;
        img.src = root + d.thumb.jpeg;
        img.width = d.thumb.w;
        img.height = d.thumb.h;
        img.alt = "";
        img.loading = "lazy";
        pic.appendChild(src);
        pic.appendChild(img);
        li.className = "has-thumb";
        li.appendChild(pic);
      }
      a.href = href(d, terms);
      h.appendChild(a);
      var m = el("p", "meta"), time = el("time", "", d.date);
      time.dateTime = d.iso;
      m.appendChild(time);
      if (d.page) m.appendChild(document.createTextNode(" · " + d.page));
      if (d.column) m.appendChild(document.createTextNode(" · " + d.column));
      var p = el("p", "snippet");
      p.appendChild(snippet(d.text || d.title, terms));
      li.appendChild(h);
      li.appendChild(m);
      li.appendChild(p);
      list.appendChild(li);
    });
  }

  function announce(s) {
    var n = current.count(), approx = !current.done() && current.shown < n;
    status.textContent = "找到" + (approx ? "约 " : " ") + n + " 篇与“" + s.q.trim() + "”相关的稿件" + describe(s) + "。";
  }

  function showMore(s, mySeq, n) {
    return current.take(n || PAGE_SIZE).then(function (found) {
      if (mySeq !== seq) return;
      render(found, current.terms);
      more.hidden = current.done();
      if (!current.count()) status.textContent = "没有找到与“" + s.q.trim() + "”相关的稿件" + describe(s) + "。可以换个说法，或减少关键词。";
      else announce(s);
    });
  }

  function search(s, keep) {
    var mySeq = ++seq;
    list.textContent = "";
    yearsBox.textContent = "";
    more.hidden = true;
    current = null;
    var q = s.q.trim();
    if (!q) { status.textContent = "输入关键词开始搜索，多个词用空格分开，用引号搜整个短语。"; return Promise.resolve(); }
    status.textContent = "正在搜索…";
    return engine.run(q, s.theme).then(function (res) {
      if (mySeq !== seq) return;
      var from = s.from ? Number(s.from) : 0, to = s.to ? Number(s.to) : 0;
      current = new Checked(arrange(res.results, s.sort, from, to), res.terms);
      showYears(res.results, s);
      return showMore(s, mySeq, keep && keep.shown > PAGE_SIZE ? keep.shown : PAGE_SIZE);
    }).catch(function (err) {
      if (mySeq === seq) status.textContent = "搜索暂时不可用（" + err.message + "）。";
    });
  }

  function go(push) {
    var s = stateFromForm(), url = urlFor(s);
    if (url !== location.pathname + location.search) {
      if (push) history.pushState({}, "", url);
      else history.replaceState({}, "", url);
    }
    return search(s);
  }

  var timer = null;
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () { go(false); }, 200);
  });
  [themeSelect, sortSelect, fromSelect, toSelect].forEach(function (sel) {
    if (sel) sel.addEventListener("change", function () { go(true); });
  });
  form.addEventListener("submit", function (e) { e.preventDefault(); clearTimeout(timer); go(true); });
  more.addEventListener("click", function () {
    var first = list.children.length;
    showMore(stateFromForm(), seq).then(function () {
      var link = list.children[first] && list.children[first].querySelector("a");
      if (link) link.focus();
      remember();
    });
  });
  /* keyboard: ↓ from the box to the first result, ↑/↓ between results */
  document.addEventListener("keydown", function (e) {
    if (e.key !== "ArrowDown" && e.key !== "ArrowUp") return;
    var links = Array.prototype.slice.call(list.querySelectorAll("a"));
    var i = links.indexOf(document.activeElement);
    if (document.activeElement === input && e.key === "ArrowDown" && links.length) { links[0].focus(); e.preventDefault(); }
    else if (i >= 0) {
      e.preventDefault();
      if (e.key === "ArrowDown" && i + 1 < links.length) links[i + 1].focus();
      else if (e.key === "ArrowUp") (i === 0 ? input : links[i - 1]).focus();
    }
  });
  /* leaving for a result: remember which one, how many were shown and where the page was */
  list.addEventListener("click", function (e) {
    var a = e.target.closest && e.target.closest("a");
    if (!a) return;
    var links = Array.prototype.slice.call(list.querySelectorAll("a"));
    remember({ focus: links.indexOf(a) });
  });
  var scrollTimer = null;
  window.addEventListener("scroll", function () {
    clearTimeout(scrollTimer);
    scrollTimer = setTimeout(function () { if (current) remember(); }, 150);
  }, { passive: true });
  window.addEventListener("popstate", function () {
    var s = stateFromURL();
    fill(s);
    restore(s, history.state);
  });

  function restore(s, kept) {
    return search(s, kept).then(function () {
      if (!kept) return;
      if (kept.scroll) window.scrollTo(0, kept.scroll);
      var links = list.querySelectorAll("a");
      if (kept.focus >= 0 && links[kept.focus]) links[kept.focus].focus({ preventScroll: true });
    });
  }

  var first = stateFromURL();
  fill(first);
  if ("scrollRestoration" in history) history.scrollRestoration = "manual";
  restore(first, history.state && history.state.shown ? history.state : null);
})();
