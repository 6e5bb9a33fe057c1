/* ReportQA 决算问答 — the chat page. Plain JS, no build step, no external resources.
 * All data is put into the page with textContent / createElement (never innerHTML).
 * This file: shared helpers (window.ReportQA), tabs, readiness, the chat thread and passages.
 * admin.js: the reports tab and the admin panel. */
(function () {
  "use strict";

  var MAX_QUESTION = 500;
  var MAX_HISTORY = 10;    // earlier questions sent with each question (contract: at most 10)
  // ids the latest turn's elements carry (data-ref → id); earlier turns lose them
  var TURN_REFS = ["answer", "answer-status", "confidence", "confidence-fill", "confidence-text", "answer-text",
                   "choices", "values", "citations-title", "citations", "timing"];

  var state = {
    turns: [],            // {question, element, highlight} of this conversation, oldest first
    pending: false,
    highlight: [],        // numbers highlighted in the open passage (its turn's values)
    passageTurn: null,    // the turn element whose citation opened the passage
    passageReq: 0,
    askReq: 0
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

  function ApiFailure(status, code, message) {
    this.status = status; this.code = code; this.message = message;
  }

  var TOKEN_KEY = "reportqa.adminToken";

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
    if (name !== "ask" && window.ReportQA.onTab) window.ReportQA.onTab(name);
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

  function reportLabel(r) {
    return (r.unit_name || r.report_id) + (r.year ? " " + r.year : "");
  }

  function loadReportOptions() {
    return api("GET", "/reports").then(function (reports) {
      var sel = $("filter-report");
      var keep = sel.value;
      while (sel.options.length > 1) sel.remove(1);
      (reports || []).forEach(function (r) { sel.appendChild(el("option", { value: r.report_id }, reportLabel(r))); });
      sel.value = keep;
      if (sel.value !== keep) sel.value = "";
      return reports;
    }, function () { return null; });
  }

  // ------------------------------------------------------------------ the conversation
  function askError(text) {
    var errBox = $("ask-error");
    errBox.textContent = text;
    show(errBox, true);
  }

  // The questions of this conversation so far, oldest first (at most MAX_HISTORY).
  function history() {
    return state.turns.map(function (t) { return t.question; }).slice(-MAX_HISTORY);
  }

  // `opts.reportId` restricts the question to one report (a choice); else the scope filter applies.
  function ask(question, opts) {
    opts = opts || {};
    question = (question || "").trim();
    show($("ask-error"), false);
    if (!question) {
      askError("请输入问题。");
      $("question").focus();
      return Promise.resolve();
    }
    if (question.length > MAX_QUESTION) {
      askError("问题过长（最多 " + MAX_QUESTION + " 字）。");
      return Promise.resolve();
    }
    if (state.pending) return Promise.resolve();
    var payload = { question: question, top_k: 5 };
    var rid = opts.reportId || $("filter-report").value;
    if (rid) payload.report_id = rid;
    var earlier = history();
    if (earlier.length) payload.history = earlier;
    var req = ++state.askReq;
    var turn = newTurn(question, opts.scopeLabel || (rid ? scopeName(rid) : ""));
    setPending(true);
    return api("POST", "/ask", { json: payload }).then(function (data) {
      if (req !== state.askReq) return;
      state.turns.push(turn);
      renderAnswer(turn, data);
      $("question").value = "";
      updateCount();
    }, function (err) {
      if (req !== state.askReq) return;
      dropTurn(turn);
      askError(errorText(err));
    }).then(function () {
      if (req === state.askReq) setPending(false);
    });
  }

  function setPending(on) {
    state.pending = on;
    $("ask-btn").disabled = on;
    show($("loading"), on);
  }

  function scopeName(reportId) {
    var opt = Array.prototype.filter.call($("filter-report").options, function (o) { return o.value === reportId; })[0];
    return opt ? opt.textContent : reportId;
  }

  // A new turn at the end of the thread; it takes over the ids (#answer, #answer-text …).
  function newTurn(question, scope) {
    var thread = $("thread");
    Array.prototype.forEach.call(thread.querySelectorAll("[data-ref]"), function (node) { node.removeAttribute("id"); });
    var element = $("turn-template").content.firstElementChild.cloneNode(true);
    Array.prototype.forEach.call(element.querySelectorAll("[data-ref]"), function (node) {
      if (TURN_REFS.indexOf(node.dataset.ref) >= 0) node.id = node.dataset.ref;
    });
    element.querySelector(".q-text").textContent = question;
    var scopeNode = element.querySelector(".q-scope");
    scopeNode.textContent = scope ? "范围：" + scope : "";
    show(scopeNode, !!scope);
    thread.appendChild(element);
    show($("new-chat"), true);
    return { question: question, element: element, highlight: [] };
  }

  function dropTurn(turn) {
    turn.element.parentNode.removeChild(turn.element);
    var last = state.turns[state.turns.length - 1];
    if (last) {  // the ids go back to the latest answered turn
      Array.prototype.forEach.call(last.element.querySelectorAll("[data-ref]"), function (node) {
        if (TURN_REFS.indexOf(node.dataset.ref) >= 0) node.id = node.dataset.ref;
      });
    }
    show($("new-chat"), state.turns.length > 0);
  }

  function newConversation() {
    state.askReq++;
    setPending(false);
    state.turns = [];
    clear($("thread"));
    closePassage();
    show($("ask-error"), false);
    show($("new-chat"), false);
    $("question").value = "";
    updateCount();
    $("question").focus();
  }

  function part(turn, ref) { return turn.element.querySelector("[data-ref='" + ref + "']"); }

  function confidenceLevel(c) {
    if (c >= 0.75) return ["high", "高"];
    if (c >= 0.45) return ["medium", "中"];
    return ["low", "低"];
  }

  function renderAnswer(turn, data) {
    var box = part(turn, "answer");
    var found = !!data.found;
    var values = Array.isArray(data.values) ? data.values : [];
    var citations = Array.isArray(data.citations) ? data.citations : [];
    turn.highlight = values.map(function (v) { return Number(v.value); }).filter(isFinite);

    box.dataset.found = found ? "true" : "false";
    box.classList.toggle("notfound", !found);
    var status = part(turn, "answer-status");
    status.textContent = found ? "已找到" : "未找到";
    status.className = "status " + (found ? "ok" : "missing");

    var conf = Math.max(0, Math.min(1, Number(data.confidence) || 0));
    var level = confidenceLevel(conf);
    part(turn, "confidence").dataset.level = level[0];
    part(turn, "confidence-fill").style.width = Math.round(conf * 100) + "%";
    part(turn, "confidence-text").textContent = level[1] + "（" + Math.round(conf * 100) + "%）";

    appendHighlighted(part(turn, "answer-text"), data.answer || (found ? "" : "报告中没有找到该问题的答案。"),
      turn.highlight);
    renderChoices(turn, Array.isArray(data.choices) ? data.choices : []);
    renderValues(part(turn, "values"), values, citations);
    renderCitations(turn, citations, found);
    var total = data.timing_ms && data.timing_ms.total;
    part(turn, "timing").textContent = typeof total === "number" ? "用时 " + total.toFixed(1) + " ms" : "";
    show(box, true);
    closePassage();
    turn.element.scrollIntoView({ block: "nearest" });
  }

  // Reports the question may be about: each button asks it again within that report.
  function renderChoices(turn, choices) {
    var box = part(turn, "choices");
    clear(box);
    if (choices.length) box.appendChild(el("span", { className: "muted small" }, "请选择报告："));
    choices.forEach(function (c) {
      var label = reportLabel(c);
      box.appendChild(el("button", {
        type: "button", className: "choice", "data-testid": "choice", dataset: { reportId: c.report_id },
        onclick: function () { ask(turn.question, { reportId: c.report_id, scopeLabel: label }); }
      }, label));
    });
    show(box, choices.length > 0);
  }

  function renderValues(list, values, citations) {
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

  function renderCitations(turn, citations, found) {
    var list = part(turn, "citations");
    part(turn, "citations-title").textContent = found ? "引用出处" : (citations.length ? "可能的出处（请说明是哪一个）" : "");
    citations.forEach(function (c) {
      var lines = c.line_start === c.line_end ? "第 " + c.line_start + " 行" : "第 " + c.line_start + "–" + c.line_end + " 行";
      var quote = el("blockquote", { className: "cite-text", "data-testid": "citation-text" });
      appendHighlighted(quote, c.text, turn.highlight);
      var open = el("button", { type: "button", className: "link cite-open", "data-testid": "citation-open" }, "查看上下文 →");
      var where = (c.source_file || "") + (c.page ? " · 第 " + c.page + " 页" : "");
      var item = el("li", { className: "citation", tabindex: "0", "data-testid": "citation",
                            dataset: { chunkId: c.chunk_id, citeId: c.id } },
        el("div", { className: "cite-head" },
          el("span", { className: "cite-id" }, "[" + c.id + "]"),
          el("span", { className: "cite-unit", "data-testid": "citation-unit" }, c.unit_name || c.report_id || ""),
          c.year ? el("span", { className: "cite-year" }, c.year + " 年") : null,
          el("span", { className: "cite-lines", "data-testid": "citation-lines" }, lines)),
        el("div", { className: "cite-section muted small", "data-testid": "citation-section" }, c.section || ""),
        quote,
        el("div", { className: "cite-foot muted small" }, el("span", { className: "cite-file" }, where), open));
      function openIt() { state.passageTurn = turn.element; state.highlight = turn.highlight; loadPassage(c.chunk_id); }
      item.addEventListener("click", openIt);
      item.addEventListener("keydown", function (e) {
        if (e.key === "Enter" || e.key === " ") { e.preventDefault(); openIt(); }
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
      markOpenCitation(chunkId);
      var c = data.citation || {};
      var r = data.report || {};
      panel.dataset.chunkId = chunkId;
      $("passage-meta").textContent = [r.unit_name || r.report_id, r.year ? r.year + " 年" : "", c.section,
        (r.source_file || c.source_file || "") + (c.page ? " 第 " + c.page + " 页" : "") + (c.line_start ? " 第 " +
          c.line_start + (c.line_end && c.line_end !== c.line_start ? "–" + c.line_end : "") + " 行" : "")]
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

  // The citation whose context is open is marked (aria-current) in the turn that opened it.
  function markOpenCitation(chunkId) {
    Array.prototype.forEach.call(document.querySelectorAll("#thread .citation"), function (li) {
      if (chunkId && li.dataset.chunkId === chunkId && state.passageTurn && state.passageTurn.contains(li)) {
        li.setAttribute("aria-current", "true");
      } else {
        li.removeAttribute("aria-current");
      }
    });
  }

  function closePassage() {
    state.passageReq++;
    markOpenCitation(null);
    show($("passage"), false);
    $("workspace").classList.remove("with-passage");
  }

  // ------------------------------------------------------------------ wiring
  function updateCount() { $("char-count").textContent = $("question").value.trim().length + "/" + MAX_QUESTION; }

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
    q.addEventListener("input", updateCount);
    Array.prototype.forEach.call(document.querySelectorAll(".example"), function (b) {
      b.addEventListener("click", function () {
        q.value = b.textContent;
        updateCount();
        ask(q.value);
      });
    });
    $("new-chat").addEventListener("click", newConversation);
    $("passage-close").addEventListener("click", closePassage);
    $("passage-prev").addEventListener("click", function () { loadPassage(this.dataset.target); });
    $("passage-next").addEventListener("click", function () { loadPassage(this.dataset.target); });
    if (window.ReportQA.initAdmin) window.ReportQA.initAdmin();
    checkReady();

    var initial = new URLSearchParams(window.location.search).get("q");
    if (initial) { q.value = initial; ask(initial); }
    document.body.dataset.ready = "true";
  }

  // shared with admin.js (loaded after this file)
  window.ReportQA = { $: $, el: el, clear: clear, show: show, api: api, errorText: errorText, token: token,
                      TOKEN_KEY: TOKEN_KEY, selectTab: selectTab, checkReady: checkReady,
                      loadReportOptions: loadReportOptions, reportLabel: reportLabel };

  // deferred scripts run before DOMContentLoaded: wait for it, so admin.js has registered itself
  if (document.readyState === "complete") init();
  else document.addEventListener("DOMContentLoaded", init);
})();
