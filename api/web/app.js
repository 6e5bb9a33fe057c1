/* ReportQA 决算问答 — the chat page. Plain JS, no build step, no external resources.
 * All data is put into the page with textContent / createElement (never innerHTML). */
(function () {
  "use strict";

  var TOKEN_KEY = "reportqa.adminToken";
  var MAX_QUESTION = 500;
  var STATE_TEXT = { idle: "空闲", running: "构建中", failed: "失败" };
  var JOB_TEXT = { queued: "排队中", running: "进行中", done: "已完成", failed: "失败" };
  var STAGE_TEXT = { queued: "排队", parse: "解析报告", embed: "计算向量", write: "写入索引", load: "加载新索引",
                     done: "完成", failed: "失败" };
  var COUNT_TEXT = { reports: "报告", chunks: "段落", facts: "数字", sections: "章节", tables: "表格", rows: "行" };

  var state = {
    highlight: [],        // numbers of the current answer's values
    passageId: null,
    passageReq: 0,
    askReq: 0,
    watchedJob: null,
    pollTimer: null,
    reportsLoaded: false
  };

  // ------------------------------------------------------------------ helpers
  function $(id) { return document.getElementById(id); }

  function el(tag, props) {
    var node = document.createElement(tag);
    if (props) {
      Object.keys(props).forEach(function (k) {
        var v = props[k];
        if (v === undefined || v === null) return;
        if (k === "text") node.textContent = String(v);
        else if (k === "className") node.className = v;
        else if (k === "dataset") Object.keys(v).forEach(function (d) { node.dataset[d] = String(v[d]); });
        else if (k === "onclick") node.addEventListener("click", v);
        else node.setAttribute(k, String(v));
      });
    }
    for (var i = 2; i < arguments.length; i++) {
      var child = arguments[i];
      if (child === null || child === undefined || child === false) continue;
      node.appendChild(typeof child === "string" || typeof child === "number"
        ? document.createTextNode(String(child)) : child);
    }
    return node;
  }

  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }

  function show(node, on) { node.hidden = !on; }

  function setText(id, text) { $(id).textContent = text == null || text === "" ? "—" : String(text); }

  function ApiFailure(status, code, message) {
    this.status = status; this.code = code; this.message = message;
  }

  function token() {
    try { return sessionStorage.getItem(TOKEN_KEY) || ""; } catch (e) { return ""; }
  }

  function api(method, url, opts) {
    opts = opts || {};
    var headers = { "Accept": "application/json" };
    var body;
    if (opts.json !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(opts.json);
    } else if (opts.form) {
      body = opts.form;
    }
    if (opts.admin && token()) headers["Authorization"] = "Bearer " + token();
    return fetch(url, { method: method, headers: headers, body: body, cache: "no-store" })
      .catch(function () {
        throw new ApiFailure(0, "network", "无法连接服务，请检查服务是否在运行。");
      })
      .then(function (resp) {
        return resp.text().then(function (raw) {
          var data = null;
          try { data = raw ? JSON.parse(raw) : null; } catch (e) { data = null; }
          if (!resp.ok) {
            var err = data && data.error ? data.error : {};
            throw new ApiFailure(resp.status, err.code || "http_" + resp.status,
              err.message || ("请求失败（HTTP " + resp.status + "）"));
          }
          return data;
        });
      });
  }

  function errorText(err) {
    if (err instanceof ApiFailure) {
      var prefix = { 401: "令牌无效：", 403: "未启用管理：", 503: "索引未就绪：" }[err.status] || "";
      return prefix + err.message;
    }
    return "出错了：" + (err && err.message ? err.message : String(err));
  }

  // Numbers with thousands separators and the decimals the report wrote (`decimals`, from the cited
  // text); without it, money gets two decimals and other units the value's own.
  function fmtNumber(value, unit, decimals) {
    if (typeof value !== "number" || !isFinite(value)) return String(value);
    if (decimals == null) {
      var money = unit === "万元" || unit === "元" || unit === "亿元";
      decimals = money ? 2 : Math.min(4, ((String(value).split(".")[1] || "").length));
    }
    return value.toLocaleString("en-US", { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
  }

  // ------------------------------------------------------------------ highlighting
  var NUMBER_RE = /[-−]?\d{1,3}(?:,\d{3})+(?:\.\d+)?|[-−]?\d+(?:\.\d+)?/g;

  function matchesValue(token, values) {
    var n = parseFloat(token.replace(/,/g, "").replace("−", "-"));
    if (!isFinite(n)) return false;
    for (var i = 0; i < values.length; i++) {
      var v = values[i];
      if (Math.abs(Math.abs(n) - Math.abs(v)) <= 1e-9 * Math.max(1, Math.abs(v))) return true;
    }
    return false;
  }

  // How many decimals the cited passage writes `value` with ("8.2" → 1, "2,399.30" → 2), or null.
  function writtenDecimals(value, text) {
    if (text == null || !isFinite(value)) return null;
    var m;
    NUMBER_RE.lastIndex = 0;
    while ((m = NUMBER_RE.exec(String(text))) !== null) {
      if (matchesValue(m[0], [value])) return (m[0].split(".")[1] || "").length;
    }
    return null;
  }

  // Append `text` to `node`, wrapping every figure equal to one of `values` in <mark>.
  function appendHighlighted(node, text, values) {
    text = text == null ? "" : String(text);
    if (!values || !values.length) { node.appendChild(document.createTextNode(text)); return 0; }
    var last = 0, count = 0, m;
    NUMBER_RE.lastIndex = 0;
    while ((m = NUMBER_RE.exec(text)) !== null) {
      if (!matchesValue(m[0], values)) continue;
      if (m.index > last) node.appendChild(document.createTextNode(text.slice(last, m.index)));
      node.appendChild(el("mark", { "data-testid": "highlight" }, m[0]));
      last = m.index + m[0].length;
      count++;
    }
    if (last < text.length) node.appendChild(document.createTextNode(text.slice(last)));
    return count;
  }

  // ------------------------------------------------------------------ tabs
  function selectTab(name) {
    ["ask", "reports", "admin"].forEach(function (t) {
      var on = t === name;
      $("tab-" + t).setAttribute("aria-selected", on ? "true" : "false");
      $("tab-" + t).classList.toggle("active", on);
      show($("panel-" + t), on);
    });
    if (name === "reports") loadReports();
    if (name === "admin") { renderTokenState(); refreshStatus(); }
  }

  // ------------------------------------------------------------------ readiness
  function checkReady() {
    var badge = $("ready-badge");
    return api("GET", "/readyz").then(function (data) {
      badge.textContent = "索引就绪";
      badge.title = [data.version, data.model].filter(Boolean).join(" · ");
      badge.dataset.ready = "yes";
      show($("notice"), false);
      loadReportOptions();
    }, function (err) {
      badge.textContent = "索引未就绪";
      badge.dataset.ready = "no";
      badge.title = err.message || "";
      var notice = $("notice");
      notice.textContent = "索引尚未加载，暂时无法回答。" + (err.message ? "（" + err.message + "）" : "");
      show(notice, true);
    });
  }

  // ------------------------------------------------------------------ ask
  function ask(question) {
    question = (question || "").trim();
    var errBox = $("ask-error");
    show(errBox, false);
    if (!question) {
      errBox.textContent = "请输入问题。";
      show(errBox, true);
      $("question").focus();
      return Promise.resolve();
    }
    if (question.length > MAX_QUESTION) {
      errBox.textContent = "问题过长（最多 " + MAX_QUESTION + " 字）。";
      show(errBox, true);
      return Promise.resolve();
    }
    var req = ++state.askReq;
    var payload = { question: question, top_k: 5 };
    var rid = $("filter-report").value;
    if (rid) payload.report_id = rid;
    $("ask-btn").disabled = true;
    show($("loading"), true);
    return api("POST", "/ask", { json: payload }).then(function (data) {
      if (req === state.askReq) renderAnswer(data);
    }, function (err) {
      if (req !== state.askReq) return;
      errBox.textContent = errorText(err);
      show(errBox, true);
    }).then(function () {
      if (req !== state.askReq) return;
      $("ask-btn").disabled = false;
      show($("loading"), false);
    });
  }

  function confidenceLevel(c) {
    if (c >= 0.75) return ["high", "高"];
    if (c >= 0.45) return ["medium", "中"];
    return ["low", "低"];
  }

  function renderAnswer(data) {
    var box = $("answer");
    var found = !!data.found;
    var values = Array.isArray(data.values) ? data.values : [];
    var citations = Array.isArray(data.citations) ? data.citations : [];
    state.highlight = values.map(function (v) { return Number(v.value); }).filter(isFinite);

    box.dataset.found = found ? "true" : "false";
    box.classList.toggle("notfound", !found);
    var status = $("answer-status");
    status.textContent = found ? "已找到" : "未找到";
    status.className = "status " + (found ? "ok" : "missing");

    var conf = Math.max(0, Math.min(1, Number(data.confidence) || 0));
    var level = confidenceLevel(conf);
    $("confidence").dataset.level = level[0];
    $("confidence-fill").style.width = Math.round(conf * 100) + "%";
    $("confidence-text").textContent = level[1] + "（" + Math.round(conf * 100) + "%）";

    var text = $("answer-text");
    clear(text);
    appendHighlighted(text, data.answer || (found ? "" : "报告中没有找到该问题的答案。"), state.highlight);

    renderValues(values, citations);
    renderCitations(citations, found);
    var total = data.timing_ms && data.timing_ms.total;
    $("timing").textContent = typeof total === "number" ? "用时 " + total.toFixed(1) + " ms" : "";
    show(box, true);
    closePassage();
  }

  function renderValues(values, citations) {
    var list = $("values");
    clear(list);
    var cite = {};
    (citations || []).forEach(function (c) { cite[c.id] = c; });
    // values from several reports (comparisons) say which report each one is from
    var reports = {};
    values.forEach(function (v) { reports[v.report_id || ""] = true; });
    var several = Object.keys(reports).length > 1;
    values.forEach(function (v, i) {
      var c = cite[v.citation_id] || {};
      var decimals = v.derived ? null : writtenDecimals(Number(v.value), c.text);
      var source = several ? [c.unit_name || v.report_id, c.year ? c.year + " 年" : ""].filter(Boolean).join(" ") : "";
      var item = el("div", { className: "value" + (i === 0 ? " primary-value" : "") + (v.derived ? " derived" : ""),
                             "data-testid": "value" },
        source ? el("span", { className: "value-report", "data-testid": "value-report" }, source) : null,
        el("span", { className: "value-label", "data-testid": "value-label" }, v.label || "数值"),
        el("span", { className: "value-number", "data-testid": "value-number" }, fmtNumber(Number(v.value), v.unit, decimals)),
        el("span", { className: "value-unit", "data-testid": "value-unit" }, v.unit || ""));
      if (v.derived) {
        item.appendChild(el("span", { className: "tag" }, "计算值"));
        if (v.formula) item.appendChild(el("span", { className: "formula", "data-testid": "value-formula" }, "= " + v.formula));
      }
      if (v.citation_id) {
        var refs = [v.citation_id].concat((v.inputs || []).filter(function (c) { return c !== v.citation_id; }));
        item.appendChild(el("span", { className: "value-refs muted small" }, "出处 " + refs.map(function (r) {
          return "[" + r + "]";
        }).join("")));
      }
      list.appendChild(item);
    });
    show(list, values.length > 0);
  }

  function renderCitations(citations, found) {
    var list = $("citations");
    clear(list);
    $("citations-title").textContent = found ? "引用出处" : (citations.length ? "相关段落（未包含答案）" : "");
    citations.forEach(function (c) {
      var lines = c.line_start === c.line_end ? "第 " + c.line_start + " 行" : "第 " + c.line_start + "–" + c.line_end + " 行";
      var quote = el("blockquote", { className: "cite-text", "data-testid": "citation-text" });
      appendHighlighted(quote, c.text, state.highlight);
      var open = el("button", { type: "button", className: "link cite-open", "data-testid": "citation-open" }, "查看上下文 →");
      var item = el("li", { className: "citation", id: "cite-" + c.id, tabindex: "0", "data-testid": "citation",
                            dataset: { chunkId: c.chunk_id, citeId: c.id } },
        el("div", { className: "cite-head" },
          el("span", { className: "cite-id" }, "[" + c.id + "]"),
          el("span", { className: "cite-unit", "data-testid": "citation-unit" }, c.unit_name || c.report_id || ""),
          c.year ? el("span", { className: "cite-year" }, c.year + " 年") : null,
          el("span", { className: "cite-lines", "data-testid": "citation-lines" }, lines)),
        el("div", { className: "cite-section muted small", "data-testid": "citation-section" }, c.section || ""),
        quote,
        el("div", { className: "cite-foot muted small" }, el("span", { className: "cite-file" }, c.source_file || ""), open));
      item.addEventListener("click", function () { loadPassage(c.chunk_id); });
      item.addEventListener("keydown", function (e) {
        if (e.key === "Enter" || e.key === " ") { e.preventDefault(); loadPassage(c.chunk_id); }
      });
      list.appendChild(item);
    });
  }

  // ------------------------------------------------------------------ passages
  function passageUrl(id) { return "/passages/" + encodeURIComponent(id); }

  function loadPassage(chunkId) {
    if (!chunkId) return Promise.resolve();
    var req = ++state.passageReq;
    var panel = $("passage");
    show(panel, true);
    $("workspace").classList.add("with-passage");
    show($("passage-error"), false);
    panel.dataset.loading = "true";
    return api("GET", passageUrl(chunkId)).then(function (data) {
      if (req !== state.passageReq) return;
      state.passageId = chunkId;
      markOpenCitation(chunkId);
      var c = data.citation || {};
      var r = data.report || {};
      panel.dataset.chunkId = chunkId;
      $("passage-meta").textContent = [r.unit_name || r.report_id, r.year ? r.year + " 年" : "", c.section,
        (r.source_file || c.source_file || "") + (c.line_start ? " 第 " + c.line_start +
          (c.line_end && c.line_end !== c.line_start ? "–" + c.line_end : "") + " 行" : "")]
        .filter(Boolean).join(" · ");
      var cur = $("passage-text");
      clear(cur);
      appendHighlighted(cur, c.text, state.highlight);
      $("passage-prev").disabled = !data.prev_chunk_id;
      $("passage-next").disabled = !data.next_chunk_id;
      $("passage-prev").dataset.target = data.prev_chunk_id || "";
      $("passage-next").dataset.target = data.next_chunk_id || "";
      neighbour("passage-prev-text", data.prev_chunk_id, req);
      neighbour("passage-next-text", data.next_chunk_id, req);
      if (window.matchMedia && window.matchMedia("(max-width: 900px)").matches) {
        panel.scrollIntoView({ behavior: "smooth", block: "start" });
      }
    }, function (err) {
      if (req !== state.passageReq) return;
      $("passage-error").textContent = errorText(err);
      show($("passage-error"), true);
    }).then(function () {
      if (req === state.passageReq) panel.dataset.loading = "false";
    });
  }

  function neighbour(boxId, chunkId, req) {
    var box = $(boxId);
    clear(box);
    show(box, !!chunkId);
    if (!chunkId) return;
    api("GET", passageUrl(chunkId)).then(function (data) {
      if (req !== state.passageReq) return;
      var c = data.citation || {};
      box.appendChild(el("div", { className: "ctx-label muted small" },
        (boxId === "passage-prev-text" ? "上一段" : "下一段") + (c.line_start ? " · 第 " + c.line_start + " 行" : "")));
      appendHighlighted(box, c.text, state.highlight);
    }, function () { show(box, false); });
  }

  // The citation whose context is open is marked (aria-current) in the list.
  function markOpenCitation(chunkId) {
    Array.prototype.forEach.call(document.querySelectorAll("#citations .citation"), function (li) {
      if (chunkId && li.dataset.chunkId === chunkId) li.setAttribute("aria-current", "true");
      else li.removeAttribute("aria-current");
    });
  }

  function closePassage() {
    state.passageReq++;
    state.passageId = null;
    markOpenCitation(null);
    show($("passage"), false);
    $("workspace").classList.remove("with-passage");
  }

  // ------------------------------------------------------------------ reports
  function loadReportOptions() {
    return api("GET", "/reports").then(function (reports) {
      var sel = $("filter-report");
      var keep = sel.value;
      while (sel.options.length > 1) sel.remove(1);
      (reports || []).forEach(function (r) {
        sel.appendChild(el("option", { value: r.report_id }, (r.unit_name || r.report_id) + (r.year ? " " + r.year : "")));
      });
      sel.value = keep;
      if (sel.value !== keep) sel.value = "";
      return reports;
    }, function () { return null; });
  }

  function loadReports() {
    var body = $("reports-body");
    show($("reports-error"), false);
    return api("GET", "/reports").then(function (reports) {
      clear(body);
      reports = reports || [];
      reports.forEach(function (r) {
        var pick = el("button", { type: "button", className: "link", "data-testid": "report-ask" }, "在此报告中提问");
        pick.addEventListener("click", function () {
          loadReportOptions().then(function () {
            $("filter-report").value = r.report_id;
            selectTab("ask");
            $("question").focus();
          });
        });
        function count(label, n) { return el("td", { className: "num", "data-label": label }, n); }
        body.appendChild(el("tr", { "data-testid": "report-row", dataset: { reportId: r.report_id } },
          el("td", { className: "unit" }, r.unit_name || r.report_id), el("td", { className: "region" }, r.region || ""),
          el("td", { className: "year" }, r.year || ""),
          count("章节", r.sections), count("表格", r.tables), count("行", r.rows), count("段落", r.chunks),
          count("数字", r.facts),
          el("td", { className: "small when", "data-label": "索引于" }, (r.indexed_at || "").replace("T", " ").slice(0, 16)),
          el("td", { className: "small file" }, r.source_file || ""), el("td", { className: "act" }, pick)));
      });
      show($("reports-empty"), reports.length === 0);
      state.reportsLoaded = true;
    }, function (err) {
      clear(body);
      $("reports-error").textContent = errorText(err);
      show($("reports-error"), true);
    });
  }

  // ------------------------------------------------------------------ admin
  function renderTokenState() {
    var t = token();
    $("token-state").textContent = t ? "已保存令牌（本标签页）。" : "未设置令牌。";
    if (!$("admin-token").value && t) $("admin-token").value = t;
  }

  function saveToken(e) {
    e.preventDefault();
    var t = $("admin-token").value.trim();
    try {
      if (t) sessionStorage.setItem(TOKEN_KEY, t); else sessionStorage.removeItem(TOKEN_KEY);
    } catch (err) { /* storage disabled: the token is used from the field for this page only */ }
    renderTokenState();
  }

  function clearToken() {
    try { sessionStorage.removeItem(TOKEN_KEY); } catch (err) { /* ignore */ }
    $("admin-token").value = "";
    renderTokenState();
  }

  function ensureToken() {
    if (!token() && $("admin-token").value.trim()) saveToken({ preventDefault: function () {} });
    return token();
  }

  function result(boxId, ok, text) {
    var box = $(boxId);
    clear(box);
    box.className = "result " + (ok ? "ok" : "bad");
    box.dataset.ok = ok ? "true" : "false";
    box.appendChild(el("span", null, text));
    return box;
  }

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
      (data.warnings || []).forEach(function (w) { box.appendChild(el("div", { className: "warn small" }, "注意：" + w)); });
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

  function refreshStatus() {
    return api("GET", "/index/status").then(function (s) {
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

      var busy = s.state === "running";
      if (state.watchedJob) {
        var job = (s.jobs || []).filter(function (j) { return j.job_id === state.watchedJob; })[0];
        var js = $("job-state");
        if (job) {
          js.dataset.state = job.state;
          js.textContent = "任务 " + job.job_id + "：" + (JOB_TEXT[job.state] || job.state) +
            (job.state === "done" && job.summary ? "（" + summaryText(job.summary) + "）" : "") +
            (job.state === "failed" && job.error ? "：" + job.error : "");
          if (job.state === "done" || job.state === "failed") {
            state.watchedJob = null;
            checkReady();
            if (state.reportsLoaded) loadReports();
          } else {
            busy = true;
          }
        } else {
          busy = true;
        }
      }
      if (busy) schedulePoll(800);
    }, function (err) {
      setText("status-error", errorText(err));
      if (state.watchedJob) schedulePoll(2000);
    });
  }

  // ------------------------------------------------------------------ wiring
  function init() {
    ["ask", "reports", "admin"].forEach(function (t) {
      $("tab-" + t).addEventListener("click", function () { selectTab(t); });
    });
    var q = $("question");
    $("ask-form").addEventListener("submit", function (e) { e.preventDefault(); ask(q.value); });
    q.addEventListener("keydown", function (e) {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
        e.preventDefault();
        ask(q.value);
      }
    });
    q.addEventListener("input", function () { $("char-count").textContent = q.value.trim().length + "/" + MAX_QUESTION; });
    Array.prototype.forEach.call(document.querySelectorAll(".example"), function (b) {
      b.addEventListener("click", function () {
        q.value = b.textContent;
        $("char-count").textContent = q.value.length + "/" + MAX_QUESTION;
        ask(q.value);
      });
    });
    $("passage-close").addEventListener("click", closePassage);
    $("passage-prev").addEventListener("click", function () { loadPassage(this.dataset.target); });
    $("passage-next").addEventListener("click", function () { loadPassage(this.dataset.target); });
    $("reports-refresh").addEventListener("click", loadReports);
    $("token-form").addEventListener("submit", saveToken);
    $("token-clear").addEventListener("click", clearToken);
    $("upload-form").addEventListener("submit", upload);
    $("rebuild-btn").addEventListener("click", rebuild);
    $("status-refresh").addEventListener("click", refreshStatus);
    renderTokenState();
    checkReady();

    var initial = new URLSearchParams(window.location.search).get("q");
    if (initial) { q.value = initial; ask(initial); }
    document.body.dataset.ready = "true";
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
