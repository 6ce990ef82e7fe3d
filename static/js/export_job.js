// The background export page (templates/exports/job.html): polls the job's status until it is done.
(function () {
  "use strict";
  var box = document.getElementById("export-job");
  var url = box.dataset.statusUrl;
  var started = Date.now();
  function show(id, on) { document.getElementById(id).hidden = !on; }
  function render(s) {
    box.dataset.status = s.status;
    document.getElementById("export-status").textContent = s.status_display;
    document.getElementById("export-progress").value = s.percent;
    var count = document.getElementById("export-count");
    if (s.status === "done") {
      count.textContent = "共 " + s.row_count + " 行，已生成。";
    } else if (s.row_count !== null) {
      count.textContent = (s.percent >= 99 && s.status === "running")
        ? "已写 " + s.rows_done + " / " + s.row_count + " 行，正在压缩保存文件…"
        : "已写 " + s.rows_done + " / " + s.row_count + " 行（" + s.percent + "%）";
    }
    show("export-hint", s.status === "queued" && Date.now() - started > 30000);
    var error = document.getElementById("export-error");
    error.textContent = s.error || "";
    show("export-error", !!s.error);
    if (s.download_url) {
      var link = document.getElementById("export-link");
      link.href = s.download_url;
      link.textContent = "下载名册（" + s.row_count + " 行）";
      show("export-download", true);
    }
  }
  function poll() {
    fetch(url, {headers: {"Accept": "application/json"}, cache: "no-store", credentials: "same-origin"})
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (s) { render(s); if (!s.finished) { setTimeout(poll, 1500); } })
      .catch(function () { setTimeout(poll, 3000); });
  }
  if (box.dataset.status === "queued" || box.dataset.status === "running") { setTimeout(poll, 1000); }
})();
