/* lingyuan-site, on every page (deferred, no dependencies). Everything it adds is a convenience:
 * without it every link, form and heading still works.
 * - Search from any page: the header box shows the top results as the reader types (the WAI-ARIA
 *   combobox pattern: ↑/↓, Enter, Esc; "/" focuses the box from anywhere). The search code (lunr and
 *   search.js) is loaded only when the box gets focus or a key, so a page nobody searches from
 *   downloads nothing more.
 * - Highlight on arrival: a story opened from a result (?h=凌钢) marks every match, scrolls to the
 *   first and offers 上一处/下一处 and a way to clear. Matches are found in the page's text nodes and
 *   wrapped in <mark>; the query is never inserted as HTML.
 * - The side 本文目录 of a long feature marks the section being read (aria-current).
 * - The back-to-top link floats once the reader is two screens down. */
(function () {
  "use strict";
  var doc = document.documentElement;
  doc.classList.add("js");
  var root = document.body.getAttribute("data-root") || "";

  /* ------------------------------------------------------------------ folding, as search.fold */
  function foldChar(c) {
    var f = c.normalize("NFKC").toLowerCase();
    return f.length === 1 ? f : c;  // one character for one: positions stay positions
  }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  /* ------------------------------------------------------------------ "/" focuses search */
  document.addEventListener("keydown", function (e) {
    if (e.key !== "/" || e.ctrlKey || e.metaKey || e.altKey) return;
    var t = e.target, tag = t && t.tagName;
    if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (t && t.isContentEditable)) return;
    var box = document.getElementById("site-search-q") || document.getElementById("search-q");
    if (box) { e.preventDefault(); box.focus(); box.select(); }
  });

  /* ------------------------------------------------------------------ the header combobox */
  var box = document.getElementById("site-search-q");
  var panel = document.getElementById("site-search-panel");
  if (box && panel) {
    var loading = null, seq = 0, timer = null, active = -1, options = [];

    var load = function () {
      if (window.lingyuanSearch) return Promise.resolve(window.lingyuanSearch);
      if (loading) return loading;
      loading = new Promise(function (resolve, reject) {
        var add = function (src, next) {
          var s = document.createElement("script");
          s.src = root + src;
          s.onload = next;
          s.onerror = function () { reject(new Error(src)); };
          document.head.appendChild(s);
        };
        var ready = function () { window.lingyuanSearch ? resolve(window.lingyuanSearch) : reject(new Error("search.js")); };
        if (typeof lunr !== "undefined") add("static/js/search.js", ready);
        else add("static/vendor/lunr.min.js", function () { add("static/js/search.js", ready); });
      });
      return loading;
    };

    var open = function (yes) {
      panel.hidden = !yes;
      box.setAttribute("aria-expanded", yes ? "true" : "false");
      if (!yes) { active = -1; box.removeAttribute("aria-activedescendant"); }
    };

    var highlight = function (i) {
      options.forEach(function (o, k) { o.setAttribute("aria-selected", k === i ? "true" : "false"); });
      active = i;
      if (i >= 0) { box.setAttribute("aria-activedescendant", options[i].id); options[i].scrollIntoView({ block: "nearest" }); }
      else box.removeAttribute("aria-activedescendant");
    };

    var option = function (href, label, meta) {
      var a = el("a", "search-option");
      a.setAttribute("role", "option");
      a.setAttribute("aria-selected", "false");
      a.id = "site-search-option-" + options.length;
      a.href = href;
      a.tabIndex = -1;
      a.appendChild(el("span", "search-option-title", label));
      if (meta) a.appendChild(el("span", "search-option-meta", meta));
      options.push(a);
      panel.appendChild(a);
      return a;
    };

    var show = function (q) {
      var mySeq = ++seq;
      q = q.trim();
      if (!q) { open(false); panel.textContent = ""; return; }
      load().then(function (s) {
        return s.run(q).then(function (res) {
          var checked = new s.Checked(res.results, res.terms), shown = [];
          /* the first result is painted as soon as it is checked, the next five after it */
          var paint = function (found) {
            if (mySeq !== seq) return;
            shown = shown.concat(found);
            var keep = active;
            panel.textContent = "";
            options = [];
            if (!shown.length) panel.appendChild(el("p", "search-none", "没有找到“" + q + "”"));
            shown.forEach(function (f) {
              option(s.href(f.doc, res.terms), f.doc.title, f.doc.date + (f.doc.page ? " · " + f.doc.page : ""));
            });
            var n = checked.count();
            option(root + "search/?q=" + encodeURIComponent(q), "全部结果", shown.length ? (checked.done() ? n : "约 " + n) + " 篇" : "");
            highlight(keep < options.length - 1 ? keep : -1);
            open(true);
          };
          return checked.take(1).then(function (found) {
            paint(found);
            if (found.length && mySeq === seq) return checked.take(5).then(paint);
          });
        });
      }).catch(function () { /* the form still submits to the search page */ });
    };

    box.setAttribute("role", "combobox");
    box.setAttribute("aria-autocomplete", "list");
    box.setAttribute("aria-controls", panel.id);
    box.setAttribute("aria-expanded", "false");
    box.addEventListener("focus", function () { load(); if (box.value.trim() && options.length) open(true); });
    box.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () { show(box.value); }, 60);
    });
    box.addEventListener("keydown", function (e) {
      load();
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        if (panel.hidden) { if (options.length) open(true); else show(box.value); e.preventDefault(); return; }
        var n = options.length;
        if (!n) return;
        e.preventDefault();
        highlight(e.key === "ArrowDown" ? (active + 1) % n : (active <= 0 ? n - 1 : active - 1));
      } else if (e.key === "Enter") {
        if (!panel.hidden && active >= 0) { e.preventDefault(); location.href = options[active].href; }
      } else if (e.key === "Escape") {
        if (!panel.hidden) { e.preventDefault(); open(false); }
        else if (box.value) { box.value = ""; }
      }
    });
    document.addEventListener("click", function (e) {
      if (!panel.hidden && !panel.contains(e.target) && e.target !== box) open(false);
    });
  }

  /* ------------------------------------------------------------------ highlight on arrival */
  var params = new URLSearchParams(location.search);
  var wanted = (params.get("h") || "").trim();
  var article = document.querySelector("article.story");
  if (wanted && article) {
    var terms = function (text, table) {
      return text.split(/\s+/).filter(Boolean).map(function (t) {
        return Array.from(t).map(function (c) { var f = foldChar(c); return (table && table[f]) || f; }).join("");
      });
    };
    var markAll = function (list) {
      var marks = [];
      var walker = document.createTreeWalker(article, NodeFilter.SHOW_TEXT, {
        acceptNode: function (n) {
          var p = n.parentNode;
          return p && (p.closest("script, style, mark.hit") || !n.nodeValue.trim()) ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT;
        }
      });
      var nodes = [];
      while (walker.nextNode()) nodes.push(walker.currentNode);
      nodes.forEach(function (node) {
        var text = node.nodeValue, folded = Array.from(text).map(foldChar).join("");
        if (folded.length !== text.length) folded = text.toLowerCase();
        var hits = [];
        list.forEach(function (t) {
          for (var i = folded.indexOf(t); i >= 0; i = folded.indexOf(t, i + t.length)) hits.push([i, i + t.length]);
        });
        if (!hits.length) return;
        hits.sort(function (a, b) { return a[0] - b[0] || b[1] - a[1]; });
        var merged = [];
        hits.forEach(function (h) {
          var last = merged[merged.length - 1];
          if (last && h[0] < last[1]) last[1] = Math.max(last[1], h[1]);
          else merged.push(h);
        });
        var frag = document.createDocumentFragment(), pos = 0;
        merged.forEach(function (h) {
          if (h[0] > pos) frag.appendChild(document.createTextNode(text.slice(pos, h[0])));
          var m = el("mark", "hit", text.slice(h[0], h[1]));
          marks.push(m);
          frag.appendChild(m);
          pos = h[1];
        });
        if (pos < text.length) frag.appendChild(document.createTextNode(text.slice(pos)));
        node.parentNode.replaceChild(frag, node);
      });
      return marks;
    };
    var showBar = function (marks, list) {
      var bar = el("div", "hit-bar"), at = 0;
      bar.setAttribute("role", "region");
      bar.setAttribute("aria-label", "搜索词位置");
      var count = el("span", "hit-count");
      count.setAttribute("aria-live", "polite");
      var goTo = function (i) {
        marks.forEach(function (m) { m.classList.remove("current"); });
        at = (i + marks.length) % marks.length;
        marks[at].classList.add("current");
        marks[at].scrollIntoView({ block: "center" });
        count.textContent = "“" + list.join(" ") + "” 第 " + (at + 1) + " 处，共 " + marks.length + " 处";
      };
      var button = function (label, fn) {
        var b = el("button", "", label);
        b.type = "button";
        b.addEventListener("click", fn);
        bar.appendChild(b);
        return b;
      };
      bar.appendChild(count);
      button("上一处", function () { goTo(at - 1); });
      button("下一处", function () { goTo(at + 1); });
      button("清除", function () {
        marks.forEach(function (m) { m.replaceWith(document.createTextNode(m.textContent)); });
        article.normalize();
        bar.remove();
        params.delete("h");
        var q = params.toString();
        history.replaceState(history.state, "", location.pathname + (q ? "?" + q : "") + location.hash);
      });
      document.body.appendChild(bar);
      goTo(0);
    };
    var marks = markAll(terms(wanted));
    if (marks.length) showBar(marks, terms(wanted));
    else if (/[^\x00-\x7f]/.test(wanted)) {
      /* a term typed in Traditional characters: fold it with the site's table, then try again */
      fetch(root + "search/index/meta.json").then(function (r) { return r.json(); }).then(function (m) {
        var table = {};
        for (var i = 0; i + 1 < m.fold.length; i += 2) table[m.fold[i]] = m.fold[i + 1];
        var list = terms(wanted, table), again = markAll(list);
        if (again.length) showBar(again, list);
      }).catch(function () {});
    }
  }

  /* ------------------------------------------------------------------ 本文目录 follows the reader */
  var toc = document.querySelector(".toc-rail");
  if (toc) {
    var links = {};
    Array.prototype.forEach.call(toc.querySelectorAll("a[href^='#']"), function (a) { links[a.getAttribute("href").slice(1)] = a; });
    var headings = Object.keys(links).map(function (id) { return document.getElementById(id); }).filter(Boolean);
    var pending = false;
    var mark = function () {
      pending = false;
      var current = null;
      var line = window.innerHeight / 3;  /* the reader is in the section whose heading passed the top third */
      headings.forEach(function (h) { if (h.getBoundingClientRect().top < line) current = h.id; });
      Object.keys(links).forEach(function (id) {
        if (id === current) links[id].setAttribute("aria-current", "location");
        else links[id].removeAttribute("aria-current");
      });
    };
    window.addEventListener("scroll", function () {
      if (!pending) { pending = true; window.requestAnimationFrame(mark); }
    }, { passive: true });
    mark();
  }

  /* ------------------------------------------------------------------ the scan's zoom */
  var tools = document.querySelector(".scan-tools");
  var canvas = document.querySelector(".scan-canvas");
  if (tools && canvas) {
    tools.hidden = false;
    var buttons = tools.querySelectorAll("button[data-zoom]");
    var zoom = function (n) {
      canvas.classList.remove("zoom-2", "zoom-3");
      if (n > 1) canvas.classList.add("zoom-" + n);
      Array.prototype.forEach.call(buttons, function (b) { b.setAttribute("aria-pressed", b.getAttribute("data-zoom") === String(n) ? "true" : "false"); });
    };
    Array.prototype.forEach.call(buttons, function (b) { b.addEventListener("click", function () { zoom(Number(b.getAttribute("data-zoom"))); }); });
    zoom(1);
    /* arriving at an area (#area-3 from a story), zoom in and bring it into view */
    var target = location.hash && document.getElementById(location.hash.slice(1));
    if (target && target.closest && target.closest(".scan-areas")) {
      zoom(2);
      target.scrollIntoView({ block: "center", inline: "center" });
    }
  }

  /* ------------------------------------------------------------------ back to top */
  var top = document.querySelector(".to-top");
  if (top) {
    var shown = false;
    var update = function () {
      var want = window.scrollY > 2 * window.innerHeight;
      if (want !== shown) { shown = want; top.classList.toggle("floating", want); }
    };
    window.addEventListener("scroll", update, { passive: true });
    update();
  }
})();
