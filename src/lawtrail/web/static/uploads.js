/* 上传音像: resumable uploads over /api/v1/uploads (tus 1.0 core + creation + termination).
 * Each file goes in PATCHes of data-chunk bytes via XMLHttpRequest (upload progress); after a
 * network error or a 5xx/409 the offset is asked again with HEAD and the upload continues, with
 * back-off, at most MAX_RETRIES times without progress. Upload URLs are kept in localStorage
 * under name+size+mtime+device, so a reloaded page resumes where the server stands. */
(function () {
  "use strict";
  var app = document.getElementById("upload-app");
  if (!app) { return; }
  var CHUNK = parseInt(app.dataset.chunk, 10) || 8 * 1024 * 1024;
  var MAX = parseInt(app.dataset.max, 10) || 0;
  var MAX_RETRIES = 6;
  var TUS = "1.0.0";
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  var input = document.getElementById("up-files");
  var drop = document.getElementById("up-drop");
  var start = document.getElementById("up-start");
  var hint = document.getElementById("up-hint");
  var panel = document.getElementById("up-panel");
  var tbody = document.querySelector("#up-table tbody");
  var totalBar = document.getElementById("up-total");
  var totalText = document.getElementById("up-total-text");
  var speedText = document.getElementById("up-speed");
  var chosen = [];
  var LABELS = { stored: "已入库", duplicate: "已在库中", refused: "拒收", sending: "上传中…", waiting: "等待" };

  function fmtBytes(n) {
    var units = ["B", "KB", "MB", "GB", "TB"], i = 0;
    while (n >= 1024 && i < units.length - 1) { n /= 1024; i += 1; }
    return (i ? n.toFixed(1) : n) + " " + units[i];
  }
  function b64(text) {
    var bytes = new TextEncoder().encode(text), bin = "";
    for (var i = 0; i < bytes.length; i += 1) { bin += String.fromCharCode(bytes[i]); }
    return btoa(bin);
  }
  function metadata(values) {
    return Object.keys(values).filter(function (k) { return values[k]; })
      .map(function (k) { return k + " " + b64(values[k]); }).join(",");
  }
  function storageKey(file, device) {
    return "lawtrail-upload:" + [device, file.name, file.size, file.lastModified].join(":");
  }
  function sleep(ms) { return new Promise(function (r) { setTimeout(r, ms); }); }

  function request(method, url, headers, body, onProgress) {
    return new Promise(function (resolve) {
      var xhr = new XMLHttpRequest();
      xhr.open(method, url, true);
      xhr.setRequestHeader("Tus-Resumable", TUS);
      if (method !== "HEAD" && method !== "GET") { xhr.setRequestHeader("X-CSRF-Token", csrf); }
      Object.keys(headers).forEach(function (k) { xhr.setRequestHeader(k, headers[k]); });
      if (onProgress) { xhr.upload.onprogress = function (e) { onProgress(e.loaded); }; }
      xhr.onload = function () { resolve(xhr); };
      xhr.onerror = function () { resolve(null); };
      xhr.ontimeout = function () { resolve(null); };
      xhr.send(body === undefined ? null : body);
    });
  }
  function problem(xhr) {
    try {
      var p = JSON.parse(xhr.responseText);
      return (p.message_zh || "") + (p.message_en ? " / " + p.message_en : "");
    } catch (e) { return "HTTP " + xhr.status; }
  }
  function retryable(xhr) { return xhr === null || xhr.status >= 500 || xhr.status === 409 || xhr.status === 423; }

  /* ---- one row per file ---- */
  function Row(file) {
    var tr = document.createElement("tr");
    this.file = file; this.sent = 0; this.el = tr;
    var name = document.createElement("td"); name.textContent = file.name;
    var size = document.createElement("td"); size.className = "mono"; size.textContent = fmtBytes(file.size);
    var prog = document.createElement("td");
    this.bar = document.createElement("progress"); this.bar.max = Math.max(file.size, 1); this.bar.value = 0;
    this.pct = document.createElement("span"); this.pct.className = "up-pct"; this.pct.textContent = "0%";
    prog.appendChild(this.bar); prog.appendChild(this.pct);
    this.result = document.createElement("td");
    tr.appendChild(name); tr.appendChild(size); tr.appendChild(prog); tr.appendChild(this.result);
    this.status("waiting");
  }
  Row.prototype.progress = function (bytes) {
    this.sent = bytes; this.bar.value = bytes;
    this.pct.textContent = Math.floor(100 * bytes / Math.max(this.file.size, 1)) + "%";
    updateTotal();
  };
  Row.prototype.status = function (kind, text, mediaId) {
    this.result.textContent = "";
    var span = document.createElement("span");
    span.className = "up-status-" + kind; span.textContent = LABELS[kind] + (text ? "：" + text : "");
    this.result.appendChild(span);
    this.el.dataset.status = kind;
    if (mediaId) {
      var a = document.createElement("a");
      a.href = "/trail?subject_type=media&subject_id=" + encodeURIComponent(mediaId);
      a.className = "mono"; a.textContent = " " + mediaId.slice(0, 8);
      a.title = "音像记录 " + mediaId; a.dataset.mediaId = mediaId;
      this.result.appendChild(a);
    }
  };

  var rows = [], began = 0;
  function updateTotal() {
    var size = 0, sent = 0;
    rows.forEach(function (r) { size += r.file.size; sent += r.sent; });
    totalBar.max = Math.max(size, 1); totalBar.value = sent;
    totalText.textContent = Math.floor(100 * sent / Math.max(size, 1)) + "%（" + fmtBytes(sent) + " / " + fmtBytes(size) + "）";
    var secs = (Date.now() - began) / 1000;
    if (secs > 0.2) { speedText.textContent = fmtBytes(sent / secs) + "/s"; }
  }

  /* ---- the protocol ---- */
  async function locate(row, device, officer) {
    var key = storageKey(row.file, device), url = localStorage.getItem(key);
    if (url) {
      var head = await request("HEAD", url, {});
      if (head && head.status === 200) { return { url: url, offset: parseInt(head.getResponseHeader("Upload-Offset"), 10), head: head }; }
      localStorage.removeItem(key);
    }
    var created = await request("POST", "/api/v1/uploads", {
      "Upload-Length": String(row.file.size),
      "Upload-Metadata": metadata({ filename: row.file.name, device: device, officer: officer })
    });
    if (created === null) { throw new Error("网络错误，无法创建上传 / network error"); }
    if (created.status !== 201) { throw new Error(problem(created)); }
    url = created.getResponseHeader("Location");
    localStorage.setItem(key, url);
    return { url: url, offset: 0, head: null };
  }

  function finished(row, xhr, key) {
    var status = xhr.getResponseHeader("Lawtrail-Status");
    if (!status) { return false; }
    localStorage.removeItem(key);
    row.progress(row.file.size);
    row.status(status === "duplicate" ? "duplicate" : "stored", "", xhr.getResponseHeader("Lawtrail-Media-Id"));
    return true;
  }

  async function send(row, device, officer) {
    var key = storageKey(row.file, device);
    var at = await locate(row, device, officer);
    var offset = at.offset, failures = 0;
    row.progress(offset);
    if (at.head && finished(row, at.head, key)) { return; }
    row.status("sending");
    while (true) {
      var end = Math.min(offset + CHUNK, row.file.size);
      var base = offset;
      var xhr = await request("PATCH", at.url, {
        "Upload-Offset": String(offset), "Content-Type": "application/offset+octet-stream"
      }, row.file.slice(offset, end), function (loaded) { row.progress(base + loaded); });
      if (xhr && xhr.status === 204) {
        offset = parseInt(xhr.getResponseHeader("Upload-Offset"), 10);
        failures = 0;
        row.progress(offset);
        if (finished(row, xhr, key)) { return; }
        continue;
      }
      if (!retryable(xhr)) {
        localStorage.removeItem(key);
        throw new Error(problem(xhr));
      }
      failures += 1;
      if (failures > MAX_RETRIES) { throw new Error("多次重试仍无法上传，请稍后刷新页面继续 / gave up after retries"); }
      row.status("sending", "网络中断，" + Math.pow(2, failures - 1) + " 秒后从断点继续");
      await sleep(1000 * Math.pow(2, failures - 1));
      var head = await request("HEAD", at.url, {});
      if (head && head.status === 200) {
        if (finished(row, head, key)) { return; }
        offset = parseInt(head.getResponseHeader("Upload-Offset"), 10);
        row.progress(offset);
        row.status("sending");
      } else if (head && head.status === 404) {
        localStorage.removeItem(key);
        throw new Error(problem(head));
      }
    }
  }

  async function run() {
    var device = document.getElementById("up-device").value;
    var officer = document.getElementById("up-officer").value;
    if (!device) { hint.textContent = "请先选择执法记录设备"; return; }
    start.disabled = true;
    panel.hidden = false;
    tbody.textContent = "";
    rows = chosen.map(function (f) { var r = new Row(f); tbody.appendChild(r.el); return r; });
    began = Date.now();
    updateTotal();
    for (var i = 0; i < rows.length; i += 1) {
      var row = rows[i];
      if (MAX && row.file.size > MAX) { row.status("refused", "文件超过上限 " + fmtBytes(MAX)); continue; }
      try { await send(row, device, officer); } catch (e) { row.status("refused", e.message); }
      updateTotal();
    }
    var done = rows.filter(function (r) { return r.el.dataset.status !== "refused"; }).length;
    hint.textContent = "完成：" + done + " / " + rows.length + " 个文件已保存";
    panel.dataset.done = "1";
    start.disabled = false;
  }

  function choose(files) {
    chosen = Array.prototype.slice.call(files);
    start.disabled = chosen.length === 0;
    hint.textContent = chosen.length ? "已选择 " + chosen.length + " 个文件，共 " +
      fmtBytes(chosen.reduce(function (s, f) { return s + f.size; }, 0)) : "尚未选择文件";
  }
  input.addEventListener("change", function () { choose(input.files); });
  // Files chosen before this script ran (a slow page, or the browser restoring the form on "back").
  if (input.files && input.files.length) { choose(input.files); }
  drop.addEventListener("click", function () { input.click(); });
  drop.addEventListener("keydown", function (e) { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); input.click(); } });
  ["dragenter", "dragover"].forEach(function (t) {
    drop.addEventListener(t, function (e) { e.preventDefault(); drop.classList.add("is-over"); });
  });
  ["dragleave", "drop"].forEach(function (t) {
    drop.addEventListener(t, function (e) { e.preventDefault(); drop.classList.remove("is-over"); });
  });
  drop.addEventListener("drop", function (e) { if (e.dataTransfer) { choose(e.dataTransfer.files); } });
  start.addEventListener("click", function () { run(); });
}());
