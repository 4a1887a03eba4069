// Staff admin behaviour that HTML alone cannot give (no inline scripts: the CSP forbids them).
"use strict";

// Charts: <canvas data-chart='{"type": "line", "data": {...}, "options": {...}}'>
function drawCharts(root) {
  if (!window.Chart) return;
  root.querySelectorAll("canvas[data-chart]").forEach((canvas) => {
    if (canvas.dataset.drawn) return;
    const config = JSON.parse(canvas.dataset.chart);
    config.options = Object.assign({ responsive: true, maintainAspectRatio: false, animation: false }, config.options || {});
    new window.Chart(canvas, config);
    canvas.dataset.drawn = "1";
  });
}

// Destructive buttons ask first: <button data-confirm="Erase this member?">
document.addEventListener("submit", (event) => {
  const button = event.submitter;
  const question = (button && button.dataset.confirm) || event.target.dataset.confirm;
  if (question && !window.confirm(question)) event.preventDefault();
});

document.addEventListener("DOMContentLoaded", () => drawCharts(document));
document.addEventListener("htmx:afterSettle", (event) => drawCharts(event.target));
