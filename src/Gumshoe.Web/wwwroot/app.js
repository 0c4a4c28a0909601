// Draws the dashboard's alerts-over-time chart from the JSON the page embeds (no inline scripts: CSP forbids them).
(function () {
  "use strict";
  function draw() {
    var data = document.getElementById("alerts-series");
    var canvas = document.getElementById("alerts-chart");
    if (!data || !canvas || typeof window.Chart === "undefined") return;
    var series = JSON.parse(data.textContent);
    new window.Chart(canvas, {
      type: "bar",
      data: { labels: series.labels, datasets: [{ label: "Alerts per " + series.unit, data: series.counts, backgroundColor: "#0b5cad" }] },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        plugins: { legend: { display: false } },
        scales: { y: { beginAtZero: true, ticks: { precision: 0 } } }
      }
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw); else draw();
})();
