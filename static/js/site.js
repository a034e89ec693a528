/* lingyuan-site reading aids, on every page (deferred, no dependencies):
 * - the side 本文目录 of a long feature marks the section being read;
 * - the back-to-top link floats once the reader is two screens down.
 * Everything works without it: the TOC links and the back-to-top link are plain links. */
(function () {
  "use strict";
  var doc = document.documentElement;
  doc.classList.add("js");

  /* 本文目录: mark the section whose heading was passed last */
  var toc = document.querySelector(".toc-rail");
  if (toc && "IntersectionObserver" in window) {
    var links = {};
    Array.prototype.forEach.call(toc.querySelectorAll("a[href^='#']"), function (a) { links[a.getAttribute("href").slice(1)] = a; });
    var headings = Object.keys(links).map(function (id) { return document.getElementById(id); }).filter(Boolean);
    var mark = function () {
      var current = null;
      headings.forEach(function (h) { if (h.getBoundingClientRect().top < 120) current = h.id; });
      Object.keys(links).forEach(function (id) {
        if (id === current) links[id].setAttribute("aria-current", "location");
        else links[id].removeAttribute("aria-current");
      });
    };
    var observer = new IntersectionObserver(mark, { rootMargin: "0px 0px -60% 0px" });
    headings.forEach(function (h) { observer.observe(h); });
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
