/* lingyuan-site reading aids, on every page (deferred, no dependencies):
 * - the side 本文目录 of a long feature marks the section being read (aria-current);
 * - the back-to-top link floats once the reader is two screens down.
 * Everything works without it: the TOC links and the back-to-top link are plain links. */
(function () {
  "use strict";
  var doc = document.documentElement;
  doc.classList.add("js");

  /* 本文目录: mark the section whose heading was passed last */
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

  /* back to top: a floating button after two screens */
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
