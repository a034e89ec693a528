/* lingyuan-site search: lunr.js over a sharded index of counts that this script weighs as lunr.py
 * does (src/lingyuan_site/search.py).
 * Query tokens mirror search.query_tokens(): each term's Chinese character bigrams are required,
 * the whole term is an optional boosted word, Latin/number runs are prefix terms. Only the
 * shards a query needs are fetched. The query is never inserted into the page as HTML. */
(function () {
  "use strict";

  var app = document.getElementById("search-app");
  if (!app || typeof lunr === "undefined") return;
  var root = app.getAttribute("data-root") || "";
  var base = root + "search/";
  var PAGE_SIZE = 10;
  var CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff";
  var RUN_RE = new RegExp("[" + CJK + "]+|[0-9a-z]+", "g");
  var CJK_START = new RegExp("^[" + CJK + "]");

  var form = document.getElementById("search-form");
  var input = document.getElementById("search-q");
  var themeSelect = document.getElementById("search-theme");
  var status = document.getElementById("search-status");
  var list = document.getElementById("search-results");
  var more = document.getElementById("search-more");

  var meta = null, foldMap = null, lengths = null, avg = null, shards = {}, index = null, indexKey = "";
  var docs = {}, current = [], shown = 0, seq = 0;

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
      foldMap = {};
      for (var i = 0; i + 1 < m.fold.length; i += 2) foldMap[m.fold[i]] = m.fold[i + 1];
      return m;
    });
  }

  /* search.fold_query: NFKC (full-width → half-width), lower case, Traditional → Simplified */
  function fold(text) {
    var s = text.normalize("NFKC").toLowerCase(), out = "";
    for (var ch of s) out += foldMap[ch] || ch;
    return out;
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

  function shardOf(token) { return token.codePointAt(0) % meta.shards; }

  /* every document's field lengths, which the weights need; fetched with the first shards */
  function loadLengths() {
    if (lengths) return Promise.resolve(lengths);
    return getPacked("index/lengths.bin").then(function (l) {
      var n = meta.fields.length;
      avg = meta.fields.map(function (_, f) {
        var total = 0;
        for (var i = f; i < l.length; i += n) total += l[i];
        return total / (meta.docs || 1);
      });
      lengths = l;
      return l;
    });
  }

  function ensureIndex(needed) {
    var missing = needed.filter(function (k) { return !shards[k]; });
    return Promise.all([loadLengths()].concat(missing.map(function (k) {
      return getPacked("index/" + k + ".bin").then(function (part) { shards[k] = part; });
    }))).then(function () {
      var key = Object.keys(shards).sort().join(",");
      if (key !== indexKey) { index = lunr.Index.load(merge()); indexKey = key; }
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
  function merge() {
    var fields = meta.fields, n = fields.length, inverted = [], vectors = {}, all = [];
    var keys = Object.keys(shards);
    keys.forEach(function (k) { all.push.apply(all, shards[k].t); });
    all.sort(byText);
    var number = new Map();
    all.forEach(function (t, i) { number.set(t, i); });
    keys.forEach(function (k) {
      var part = shards[k], j = 0;
      for (var t = 0; t < part.t.length; t++) {
        var index = number.get(part.t[t]), df = part.n[t], posting = {}, doc = 0, prevField = -1;
        fields.forEach(function (f) { posting[f] = {}; });
        posting._index = index;
        for (var end = j + df; j < end; j++) {
          var f = part.f[j];
          doc = f === prevField ? doc + part.d[j] : part.d[j];
          prevField = f;
          posting[fields[f]][String(doc)] = {};
          var ref = fields[f] + "/" + doc;
          var weight = lunrWeight(meta.docs, df, part.c[j], lengths[doc * n + f], avg[f], meta.boosts[f]);
          (vectors[ref] = vectors[ref] || []).push([index, weight]);
        }
        inverted.push([part.t[t], posting]);
      }
    });
    var fieldVectors = Object.keys(vectors).sort().map(function (ref) {
      var pairs = vectors[ref].sort(function (a, b) { return a[0] - b[0]; });
      return [ref, [].concat.apply([], pairs)];
    });
    inverted.sort(function (a, b) { return byText(a[0], b[0]); });
    return { version: meta.version, fields: fields, fieldVectors: fieldVectors, invertedIndex: inverted, pipeline: [] };
  }

  /* search.python_search: one lunr query per term; more terms matched ranks first */
  function run(query, theme) {
    var terms = fold(query).split(/\s+/).filter(Boolean);
    var perTerm = terms.map(queryTokens).filter(function (t) { return t.length; });
    if (!perTerm.length) return Promise.resolve({ terms: [], results: [] });
    var needed = {};
    perTerm.forEach(function (toks) { toks.forEach(function (t) { needed[shardOf(t.token)] = true; }); });
    if (theme) needed[shardOf(theme)] = true;
    return ensureIndex(Object.keys(needed).map(Number)).then(function (idx) {
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
          var c = combined[r.ref] || (combined[r.ref] = { ref: r.ref, n: 0, score: 0 });
          c.n += 1;
          c.score += r.score;
        });
      });
      var results = Object.keys(combined).map(function (k) { return combined[k]; });
      results.sort(function (a, b) {
        return b.n - a.n || Math.round(b.score * 1e6) - Math.round(a.score * 1e6) || Number(a.ref) - Number(b.ref);
      });
      return { terms: terms, results: results };
    });
  }

  function loadDoc(ref) {
    if (docs[ref]) return Promise.resolve(docs[ref]);
    return getPacked("docs/" + ref + ".bin").then(function (d) { docs[ref] = d; return d; });
  }

  /* a window of text around the first match, with every query term marked */
  function snippet(text, terms) {
    var t = text.replace(/\s+/g, " "), lower = t.toLowerCase(), at = -1;
    var needles = terms.slice().sort(function (a, b) { return b.length - a.length; });
    needles.forEach(function (n) { var i = lower.indexOf(n); if (i >= 0 && (at < 0 || i < at)) at = i; });
    if (at < 0) {
      terms.forEach(function (term) {
        queryTokens(term).forEach(function (q) { var i = lower.indexOf(q.token); if (i >= 0 && (at < 0 || i < at)) at = i; });
      });
    }
    var start = Math.max(0, at - 30), end = Math.min(t.length, start + 110);
    var frag = document.createDocumentFragment();
    if (start > 0) frag.appendChild(document.createTextNode("…"));
    var piece = t.slice(start, end), lp = piece.toLowerCase(), pos = 0;
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

  function showMore(terms, mySeq) {
    var batch = current.slice(shown, shown + PAGE_SIZE);
    shown += batch.length;
    more.hidden = shown >= current.length;
    return Promise.all(batch.map(function (r) { return loadDoc(r.ref); })).then(function (loaded) {
      if (mySeq !== seq) return;
      loaded.forEach(function (d) {
        var li = document.createElement("li");
        var a = document.createElement("a");
        a.href = root + d.url;
        a.textContent = d.title;
        var h = document.createElement("h2");
        h.appendChild(a);
        var meta = document.createElement("p");
        meta.className = "story-meta";
        var time = document.createElement("time");
        time.dateTime = d.iso;
        time.textContent = d.date;
        meta.appendChild(time);
        if (d.column) meta.appendChild(document.createTextNode(" · " + d.column));
        var p = document.createElement("p");
        p.className = "snippet";
        p.appendChild(snippet(d.text, terms));
        li.appendChild(h);
        li.appendChild(meta);
        li.appendChild(p);
        list.appendChild(li);
      });
    });
  }

  function search(query, theme) {
    var mySeq = ++seq;
    list.textContent = "";
    more.hidden = true;
    current = [];
    shown = 0;
    query = query.trim();
    if (!query) { status.textContent = "输入关键词开始搜索，多个词用空格分开。"; return Promise.resolve(); }
    status.textContent = "正在搜索…";
    return loadMeta().then(function () { return run(query, theme); }).then(function (res) {
      if (mySeq !== seq) return;
      current = res.results;
      var where = theme && themeSelect ? "（主题：" + themeSelect.options[themeSelect.selectedIndex].text + "）" : "";
      if (!current.length) {
        status.textContent = "没有找到与“" + query + "”相关的稿件" + where + "。可以换个说法，或减少关键词。";
        return;
      }
      return showMore(res.terms, mySeq).then(function () {
        if (mySeq === seq) status.textContent = "找到 " + current.length + " 篇与“" + query + "”相关的稿件" + where + "。";
      });
    }).catch(function (err) {
      if (mySeq === seq) status.textContent = "搜索暂时不可用（" + err.message + "）。";
    });
  }

  function stateFromURL() {
    var params = new URLSearchParams(location.search);
    return { q: params.get("q") || "", theme: params.get("theme") || "" };
  }

  function urlFor(q, theme) {
    var params = new URLSearchParams();
    if (q) params.set("q", q);
    if (theme) params.set("theme", theme);
    var s = params.toString();
    return location.pathname + (s ? "?" + s : "");
  }

  function apply(state) {
    input.value = state.q;
    if (themeSelect) themeSelect.value = state.theme;
    return search(state.q, state.theme);
  }

  var timer = null;
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      var theme = themeSelect ? themeSelect.value : "";
      history.replaceState(null, "", urlFor(input.value, theme));
      search(input.value, theme);
    }, 200);
  });
  if (themeSelect) themeSelect.addEventListener("change", function () {
    history.pushState(null, "", urlFor(input.value, themeSelect.value));
    search(input.value, themeSelect.value);
  });
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    clearTimeout(timer);
    var theme = themeSelect ? themeSelect.value : "";
    var url = urlFor(input.value, theme);
    if (url !== location.pathname + location.search) history.pushState(null, "", url);
    search(input.value, theme);
  });
  more.addEventListener("click", function () {
    var first = list.children.length;
    showMore(fold(input.value).split(/\s+/).filter(Boolean), seq).then(function () {
      var link = list.children[first] && list.children[first].querySelector("a");
      if (link) link.focus();
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
  window.addEventListener("popstate", function () { apply(stateFromURL()); });

  window.lingyuanSearch = {
    ready: function () { return loadMeta(); },
    fold: fold,
    queryTokens: queryTokens,
    /* for tests: the lunr index the given shards make (search.merge_shards in Python) */
    mergedIndex: function (needed) { return ensureIndex(needed).then(function () { return merge(); }); },
    roundMilli: roundMilli,
    run: run,
    search: search
  };
  apply(stateFromURL());
})();
