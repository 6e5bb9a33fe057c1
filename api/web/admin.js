/* ReportQA 决算问答 — the reports tab and the admin panel (管理): token, upload, rebuild, index
 * status, and the table of reports with edit (unit, region, year, aliases) and delete.
 * Uses the helpers app.js exports as window.ReportQA; data only through textContent. */
(function () {
  "use strict";

  var RQ = window.ReportQA;
  var $ = RQ.$, el = RQ.el, clear = RQ.clear, show = RQ.show, api = RQ.api, errorText = RQ.errorText;
  var STATE_TEXT = { idle: "空闲", running: "构建中", failed: "失败" };
  var JOB_TEXT = { queued: "排队中", running: "进行中", done: "已完成", failed: "失败" };
  var STAGE_TEXT = { queued: "排队", parse: "解析报告", embed: "计算向量", write: "写入索引", load: "加载新索引",
                     done: "完成", failed: "失败" };
  var COUNT_TEXT = { reports: "报告", chunks: "段落", facts: "数字", sections: "章节", tables: "表格", rows: "行" };
  var SOURCE_TEXT = { text: "正文", "file name": "文件名", override: "人工更正" };
  var FIELD_TEXT = { unit_name: "单位", region: "地区", year: "年度", aliases: "简称" };

  var state = { watchedJob: null, pollTimer: null, reportsLoaded: false, adminLoaded: false };

  function setText(id, text) { $(id).textContent = text == null || text === "" ? "—" : String(text); }

  // ------------------------------------------------------------------ reports tab
  function loadReports() {
    var body = $("reports-body");
    show($("reports-error"), false);
    return api("GET", "/reports").then(function (reports) {
      clear(body);
      reports = reports || [];
      reports.forEach(function (r) { body.appendChild(reportRow(r)); });
      show($("reports-empty"), reports.length === 0);
      state.reportsLoaded = true;
      if (state.adminLoaded) renderAdminReports(reports);
    }, function (err) {
      clear(body);
      $("reports-error").textContent = errorText(err);
      show($("reports-error"), true);
    });
  }

  function reportRow(r) {
    var pick = el("button", { type: "button", className: "link", "data-testid": "report-ask" }, "在此报告中提问");
    pick.addEventListener("click", function () {
      RQ.loadReportOptions().then(function () {
        $("filter-report").value = r.report_id;
        RQ.selectTab("ask");
        $("question").focus();
      });
    });
    function count(label, n) { return el("td", { className: "num", "data-label": label }, n); }
    return el("tr", { "data-testid": "report-row", dataset: { reportId: r.report_id } },
      el("td", { className: "unit" }, r.unit_name || r.report_id), el("td", { className: "region" }, r.region || ""),
      el("td", { className: "year" }, r.year || ""),
      count("章节", r.sections), count("表格", r.tables), count("行", r.rows), count("段落", r.chunks),
      count("数字", r.facts),
      el("td", { className: "small when", "data-label": "索引于" }, (r.indexed_at || "").replace("T", " ").slice(0, 16)),
      el("td", { className: "small file" }, r.source_file || ""), el("td", { className: "act" }, pick));
  }

  // ------------------------------------------------------------------ admin: the reports table
  function loadAdminReports() {
    show($("admin-reports-error"), false);
    return api("GET", "/reports").then(function (reports) {
      state.adminLoaded = true;
      renderAdminReports(reports || []);
    }, function (err) {
      clear($("admin-reports-body"));
      $("admin-reports-error").textContent = errorText(err);
      show($("admin-reports-error"), true);
    });
  }

  function sourceText(r) {
    var src = r.metadata_source || {};
    return Object.keys(src).map(function (k) {
      return (FIELD_TEXT[k] || k) + "来自" + (SOURCE_TEXT[src[k]] || src[k]);
    }).join("，");
  }

  function renderAdminReports(reports) {
    var body = $("admin-reports-body");
    clear(body);
    reports.forEach(function (r) {
      var edit = el("button", { type: "button", "data-testid": "report-edit" }, "编辑");
      var del = el("button", { type: "button", className: "danger", "data-testid": "report-delete" }, "删除");
      var row = el("tr", { "data-testid": "admin-report-row", dataset: { reportId: r.report_id } },
        el("td", { className: "unit" }, r.unit_name || "（未识别）", el("div", { className: "muted small" }, r.report_id)),
        el("td", { className: "region" }, r.region || ""), el("td", { className: "year" }, r.year || ""),
        el("td", { className: "aliases" }, (r.aliases || []).join("、")),
        el("td", { className: "small file" }, r.source_file || "", el("div", { className: "muted" }, sourceText(r))),
        el("td", { className: "act" }, edit, del));
      edit.addEventListener("click", function () { body.replaceChild(editRow(r), row); });
      del.addEventListener("click", function () { removeReport(r); });
      body.appendChild(row);
    });
    show($("admin-reports-empty"), reports.length === 0);
  }

  function field(name, value, label) {
    return el("input", { type: name === "year" ? "number" : "text", value: value == null ? "" : value,
                         "aria-label": label, "data-testid": "edit-" + name, className: "edit-" + name });
  }

  function editRow(r) {
    var unit = field("unit", r.unit_name, "单位名称"), region = field("region", r.region, "地区");
    var year = field("year", r.year, "年度"), aliases = field("aliases", (r.aliases || []).join("、"), "简称（用顿号或逗号分隔）");
    var save = el("button", { type: "submit", className: "primary", "data-testid": "edit-save" }, "保存");
    var cancel = el("button", { type: "button", className: "link", "data-testid": "edit-cancel" }, "取消");
    var row = el("tr", { "data-testid": "admin-report-edit", dataset: { reportId: r.report_id } },
      el("td", null, unit), el("td", null, region), el("td", null, year), el("td", null, aliases),
      el("td", { className: "small file" }, r.source_file || ""), el("td", { className: "act" }, save, cancel));
    cancel.addEventListener("click", loadAdminReports);
    save.addEventListener("click", function () {
      var changes = changedFields(r, { unit_name: unit.value.trim(), region: region.value.trim(),
                                       year: year.value.trim(), aliases: aliases.value });
      if (changes === null) return;
      if (!Object.keys(changes).length) { adminResult(true, "没有修改。"); loadAdminReports(); return; }
      patchReport(r, changes, save);
    });
    return row;
  }

  // Only the fields that differ from the report's current metadata; null when one is invalid.
  function changedFields(r, form) {
    var out = {};
    if (form.unit_name && form.unit_name !== (r.unit_name || "")) out.unit_name = form.unit_name;
    if (form.region !== (r.region || "")) out.region = form.region || null;
    if (form.year !== String(r.year || "")) {
      var y = form.year ? Number(form.year) : null;
      if (y !== null && !(Number.isInteger(y) && y >= 1900 && y <= 2100)) {
        adminResult(false, "年度应为 1900–2100 的整数。");
        return null;
      }
      out.year = y;
    }
    var list = form.aliases.split(/[,，、;；\s]+/).map(function (a) { return a.trim(); }).filter(Boolean);
    if (list.join("、") !== (r.aliases || []).join("、")) out.aliases = list;
    return out;
  }

  function patchReport(r, changes, button) {
    if (!ensureToken()) { adminResult(false, "请先填写管理令牌。"); return; }
    button.disabled = true;
    api("PATCH", "/reports/" + encodeURIComponent(r.report_id), { json: changes, admin: true }).then(function (data) {
      adminResult(true, "已保存 " + (r.unit_name || r.report_id) + " 的更正；索引更新任务 " + data.job_id +
        (data.queued ? " 已排队。" : " 已开始。"));
      watchJob(data.job_id);
    }, function (err) {
      button.disabled = false;
      adminResult(false, errorText(err));
    });
  }

  function removeReport(r) {
    if (!ensureToken()) { adminResult(false, "请先填写管理令牌。"); return; }
    var name = (r.unit_name || r.report_id) + (r.year ? " " + r.year : "");
    if (!window.confirm("从语料和索引中删除 " + name + "（" + (r.source_file || r.report_id) + "）？此操作不可撤销。")) return;
    api("DELETE", "/reports/" + encodeURIComponent(r.report_id), { admin: true }).then(function (data) {
      adminResult(true, "已删除 " + data.removed + "；索引更新任务 " + data.job_id + (data.queued ? " 已排队。" : " 已开始。"));
      watchJob(data.job_id);
    }, function (err) {
      adminResult(false, errorText(err));
    });
  }

  function adminResult(ok, text) { return result("admin-reports-result", ok, text); }

  // ------------------------------------------------------------------ admin: token
  function renderTokenState() {
    var t = RQ.token();
    $("token-state").textContent = t ? "已保存令牌（本标签页）。" : "未设置令牌。";
    if (!$("admin-token").value && t) $("admin-token").value = t;
  }

  function saveToken(e) {
    e.preventDefault();
    var t = $("admin-token").value.trim();
    try {
      if (t) sessionStorage.setItem(RQ.TOKEN_KEY, t); else sessionStorage.removeItem(RQ.TOKEN_KEY);
    } catch (err) { /* storage disabled: the token is used from the field for this page only */ }
    renderTokenState();
  }

  function clearToken() {
    try { sessionStorage.removeItem(RQ.TOKEN_KEY); } catch (err) { /* ignore */ }
    $("admin-token").value = "";
    renderTokenState();
  }

  function ensureToken() {
    if (!RQ.token() && $("admin-token").value.trim()) saveToken({ preventDefault: function () {} });
    return RQ.token();
  }

  function result(boxId, ok, text) {
    var box = $(boxId);
    clear(box);
    box.className = "result " + (ok ? "ok" : "bad");
    box.dataset.ok = ok ? "true" : "false";
    box.appendChild(el("span", null, text));
    return box;
  }

  // ------------------------------------------------------------------ admin: upload and rebuild
  function upload(e) {
    e.preventDefault();
    var input = $("upload-file");
    if (!input.files || !input.files.length) { result("upload-result", false, "请选择一个文件。"); return; }
    if (!ensureToken()) { result("upload-result", false, "请先填写管理令牌。"); return; }
    var file = input.files[0];
    if (file.size > 20 * 1024 * 1024) { result("upload-result", false, "文件超过 20 MB。"); return; }
    var form = new FormData();
    form.append("file", file, file.name);
    var url = "/reports" + ($("upload-replace").checked ? "?replace=true" : "");
    $("upload-btn").disabled = true;
    result("upload-result", true, "正在上传 " + file.name + "…");
    api("POST", url, { form: form, admin: true }).then(function (data) {
      var what = { stored: "已保存", replaced: "已覆盖", unchanged: "内容未变" }[data.status] || "已保存";
      var box = result("upload-result", true, what + "为 " + data.stored_as + "；索引更新任务 " + data.job_id +
        (data.queued ? " 已排队。" : " 已开始。"));
      (data.warnings || []).forEach(function (w) {
        box.appendChild(el("div", { className: "warn small", "data-testid": "upload-warning" }, "注意：" + w));
      });
      input.value = "";
      watchJob(data.job_id);
    }, function (err) {
      result("upload-result", false, errorText(err));
    }).then(function () { $("upload-btn").disabled = false; });
  }

  function rebuild() {
    if (!ensureToken()) { result("rebuild-result", false, "请先填写管理令牌。"); return; }
    $("rebuild-btn").disabled = true;
    api("POST", "/index/rebuild", { admin: true }).then(function (data) {
      result("rebuild-result", true, "重建任务 " + data.job_id + " 已开始。");
      watchJob(data.job_id);
    }, function (err) {
      result("rebuild-result", false, errorText(err));
    }).then(function () { $("rebuild-btn").disabled = false; });
  }

  // ------------------------------------------------------------------ admin: jobs and status
  function watchJob(jobId) {
    state.watchedJob = jobId;
    var js = $("job-state");
    js.dataset.state = "queued";
    js.dataset.jobId = jobId;
    js.textContent = "任务 " + jobId + "：" + JOB_TEXT.queued;
    schedulePoll(200);
  }

  function schedulePoll(ms) {
    if (state.pollTimer) clearTimeout(state.pollTimer);
    state.pollTimer = setTimeout(function () { state.pollTimer = null; refreshStatus(); }, ms);
  }

  function summaryText(s) {
    if (!s) return "—";
    function n(x) { return Array.isArray(x) ? x.length : (x || 0); }
    var parts = ["新增 " + n(s.added), "变更 " + n(s.changed), "删除 " + n(s.removed), "未变 " + n(s.unchanged)];
    if (s.chunks_total != null) parts.push("段落 " + s.chunks_total + "（新计算向量 " + (s.chunks_embedded || 0) + "）");
    if (s.facts_total != null) parts.push("数字 " + s.facts_total);
    if (s.seconds != null) parts.push("用时 " + s.seconds + " 秒");
    return parts.join("，");
  }

  function renderStatus(s) {
    var st = $("status-state");
    st.dataset.state = s.state;
    st.textContent = (STATE_TEXT[s.state] || s.state) + (s.ready ? "（索引已加载）" : "（索引未加载）");
    setText("status-job", s.job_id ? s.job_id + (s.queued_job_id ? "；排队：" + s.queued_job_id : "") : "");
    setText("status-stage", s.state === "running" ? (STAGE_TEXT[s.stage] || s.stage) +
      (s.total ? " " + s.done + "/" + s.total : "") : (STAGE_TEXT[s.stage] || s.stage || ""));
    var prog = $("status-progress");
    prog.value = s.progress == null ? (s.state === "running" ? 0 : 1) : s.progress;
    show(prog, s.state === "running");
    setText("status-summary", summaryText(s.last_summary));
    setText("status-error", s.last_error || "");
    setText("status-model", s.model || "");
    setText("status-version", s.version || "");
    var counts = s.counts || {};
    setText("status-counts", Object.keys(counts).map(function (k) {
      return (COUNT_TEXT[k] || k) + " " + counts[k];
    }).join("，"));
  }

  // The watched job's line; true while it has not finished.
  function renderWatchedJob(s) {
    var job = (s.jobs || []).filter(function (j) { return j.job_id === state.watchedJob; })[0];
    if (!job) return true;
    var js = $("job-state");
    js.dataset.state = job.state;
    js.textContent = "任务 " + job.job_id + "：" + (JOB_TEXT[job.state] || job.state) +
      (job.state === "done" && job.summary ? "（" + summaryText(job.summary) + "）" : "") +
      (job.state === "failed" && job.error ? "：" + job.error : "");
    if (job.state !== "done" && job.state !== "failed") return true;
    state.watchedJob = null;
    RQ.checkReady();
    if (state.reportsLoaded) loadReports();
    if (state.adminLoaded) loadAdminReports();
    return false;
  }

  function refreshStatus() {
    return api("GET", "/index/status").then(function (s) {
      renderStatus(s);
      var busy = s.state === "running";
      if (state.watchedJob && renderWatchedJob(s)) busy = true;
      if (busy) schedulePoll(800);
    }, function (err) {
      setText("status-error", errorText(err));
      if (state.watchedJob) schedulePoll(2000);
    });
  }

  // ------------------------------------------------------------------ wiring
  RQ.onTab = function (name) {
    if (name === "reports") loadReports();
    if (name === "admin") { renderTokenState(); refreshStatus(); loadAdminReports(); }
  };

  RQ.initAdmin = function () {
    $("reports-refresh").addEventListener("click", loadReports);
    $("admin-reports-refresh").addEventListener("click", loadAdminReports);
    $("token-form").addEventListener("submit", saveToken);
    $("token-clear").addEventListener("click", clearToken);
    $("upload-form").addEventListener("submit", upload);
    $("rebuild-btn").addEventListener("click", rebuild);
    $("status-refresh").addEventListener("click", refreshStatus);
    renderTokenState();
  };
})();
