// nbconvert's HTML template configures MathJax 2, which is not available offline; the book's
// offline copy is MathJax 3. This loader gives MathJax 3 the same delimiters ($...$ inline)
// and then loads it from the path after "?src=" in this script's own address.
window.MathJax = {tex: {inlineMath: [["$", "$"], ["\\(", "\\)"]], processEscapes: true}};
(function () {
  const source = decodeURIComponent(document.currentScript.src.split("?src=")[1]);
  const script = document.createElement("script");
  script.src = source;
  document.head.appendChild(script);
})();
