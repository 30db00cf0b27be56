// Pre-rendered sliders of the EM course (emcourse book): each .emcourse-slider holds one range
// input (or, for a Dropdown, a select) per control and, as JSON, the frames of every recorded combination in C order (the last
// slider fastest). Moving a slider shows that combination's frame, its alt text and printed text.
"use strict";
(function () {
  function setUp(root) {
    const data = JSON.parse(root.querySelector("script.emcourse-slider-frames").textContent);
    const inputs = Array.from(root.querySelectorAll("input[type=range], select"));
    const image = root.querySelector("img.emcourse-slider-image");
    const text = root.querySelector("pre.emcourse-slider-text");
    function frameIndex() {
      let index = 0;
      inputs.forEach(function (input, k) { index = index * data.shape[k] + Number(input.value); });
      return index;
    }
    function show() {
      inputs.forEach(function (input) {
        if (input.tagName === "SELECT") { return; }  // a list shows its own choice
        const label = JSON.parse(input.dataset.labels)[Number(input.value)];
        input.setAttribute("aria-valuetext", label);
        input.parentElement.querySelector("output").textContent = label;
      });
      const frame = data.frames[frameIndex()];
      if (image && frame.src) { image.src = frame.src; image.alt = frame.alt; }
      if (text) { text.textContent = frame.text; }
    }
    inputs.forEach(function (input) {
      input.addEventListener("input", show);
      input.addEventListener("change", show);
    });
    // Fetch the other frames once the page is idle, so moving the slider never waits.
    window.addEventListener("load", function () {
      data.frames.forEach(function (frame) { if (frame.src) { new Image().src = frame.src; } });
    });
  }
  function setUpAll() { document.querySelectorAll(".emcourse-slider").forEach(setUp); }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUpAll);
  } else {
    setUpAll();
  }
})();
