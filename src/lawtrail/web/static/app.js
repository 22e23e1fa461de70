/* lawtrail: the small amount of browser behaviour the pages need (CSP: no inline scripts).
 *  - tables with [data-sortable]: click a header with [data-sort] to sort (cells may carry data-value)
 *  - <input data-filter-for="TABLE_ID">: filter that table's rows as you type
 *  - <form data-confirm="...">: ask before submitting
 *  - <button data-copy="#selector">: copy that element's value or text
 *  - the success message (?ok=...) can be dismissed, and leaves the address bar
 *  - htmx requests carry the session's CSRF token
 */
(function () {
  "use strict";

  var collator = new Intl.Collator("zh-CN", { numeric: true, sensitivity: "base" });

  function cellValue(row, index) {
    var cell = row.cells[index];
    if (!cell) return "";
    var v = cell.getAttribute("data-value");
    return (v !== null ? v : cell.textContent).trim();
  }

  function dataRows(tbody) {
    return Array.prototype.filter.call(tbody.rows, function (r) {
      return !r.classList.contains("empty-row") && !r.classList.contains("filter-empty");
    });
  }

  function sortBy(table, th) {
    var index = Array.prototype.indexOf.call(th.parentNode.children, th);
    var ascending = th.getAttribute("aria-sort") !== "ascending";
    table.querySelectorAll("th[aria-sort]").forEach(function (h) { h.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    Array.prototype.forEach.call(table.tBodies, function (tbody) {
      var rows = dataRows(tbody);
      rows.sort(function (a, b) {
        var x = cellValue(a, index), y = cellValue(b, index);
        var nx = Number(x), ny = Number(y);
        var result = (x !== "" && y !== "" && !isNaN(nx) && !isNaN(ny)) ? nx - ny : collator.compare(x, y);
        return ascending ? result : -result;
      });
      rows.forEach(function (r) { tbody.appendChild(r); });
    });
  }

  function initSortable(root) {
    root.querySelectorAll("table[data-sortable]:not([data-sort-ready])").forEach(function (table) {
      table.setAttribute("data-sort-ready", "");
      table.querySelectorAll("th[data-sort]").forEach(function (th) {
        th.tabIndex = 0;
        th.title = "点击排序";
        th.addEventListener("click", function () { sortBy(table, th); });
        th.addEventListener("keydown", function (e) {
          if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sortBy(table, th); }
        });
      });
    });
  }

  function applyFilter(input) {
    var table = document.getElementById(input.getAttribute("data-filter-for"));
    if (!table) return;
    var words = input.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
    var shown = 0, total = 0;
    Array.prototype.forEach.call(table.tBodies, function (tbody) {
      dataRows(tbody).forEach(function (row) {
        total += 1;
        var text = row.textContent.toLowerCase();
        var match = words.every(function (w) { return text.indexOf(w) !== -1; });
        row.classList.toggle("is-filtered", !match);
        if (match) shown += 1;
      });
      var empty = tbody.querySelector(".filter-empty");
      if (total > 0 && shown === 0) {
        if (!empty) {
          empty = tbody.insertRow();
          empty.className = "filter-empty";
          var cell = empty.insertCell();
          cell.colSpan = table.tHead ? table.tHead.rows[0].cells.length : 1;
          cell.textContent = "没有匹配的记录";
        }
      } else if (empty) {
        empty.remove();
      }
    });
    var count = document.querySelector('[data-count-for="' + table.id + '"]');
    if (count) count.textContent = words.length ? "显示 " + shown + " / " + total + " 条" : "共 " + total + " 条";
  }

  function initFilters(root) {
    root.querySelectorAll("input[data-filter-for]:not([data-filter-ready])").forEach(function (input) {
      input.setAttribute("data-filter-ready", "");
      input.addEventListener("input", function () { applyFilter(input); });
      applyFilter(input);
    });
  }

  function copyText(button) {
    var target = document.querySelector(button.getAttribute("data-copy"));
    if (!target) return;
    var text = "value" in target && target.value !== undefined ? target.value : target.textContent.trim();
    var done = function () {
      var label = button.getAttribute("data-label") || button.innerHTML;
      button.setAttribute("data-label", label);
      button.classList.add("is-copied");
      button.textContent = "已复制";
      setTimeout(function () { button.classList.remove("is-copied"); button.innerHTML = label; }, 1800);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () { legacyCopy(target, text) && done(); });
    } else if (legacyCopy(target, text)) {
      done();
    }
  }

  // Plain-http intranets are not a "secure context": fall back to selecting and execCommand.
  function legacyCopy(target, text) {
    var field = target;
    if (!("select" in target)) {
      field = document.createElement("textarea");
      field.value = text;
      field.setAttribute("readonly", "");
      field.className = "visually-hidden";
      document.body.appendChild(field);
    }
    field.select();
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    if (field !== target) field.remove();
    return ok;
  }

  function init(root) {
    initSortable(root);
    initFilters(root);
  }

  document.addEventListener("submit", function (e) {
    var form = e.target;
    var message = form.getAttribute("data-confirm");
    if (message && !window.confirm(message)) { e.preventDefault(); return; }
    // <button data-busy="…">: a long server-side job (making a preview): say so while it runs.
    var busy = form.querySelector("button[data-busy]");
    if (busy) { busy.disabled = true; busy.textContent = busy.getAttribute("data-busy"); form.setAttribute("aria-busy", "true"); }
  });

  document.addEventListener("click", function (e) {
    var copy = e.target.closest("[data-copy]");
    if (copy) { e.preventDefault(); copyText(copy); return; }
    var dismiss = e.target.closest("[data-dismiss]");
    if (dismiss) {
      var flash = dismiss.closest("[data-flash]");
      if (flash) flash.classList.add("is-hidden");
    }
  });

  // htmx: send the session's CSRF token with every request it makes.
  document.addEventListener("htmx:configRequest", function (e) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta && meta.content) e.detail.headers["X-CSRF-Token"] = meta.content;
  });
  // Tables that htmx brings in (the trail at the bottom of detail pages) sort and filter too.
  document.addEventListener("htmx:afterSettle", function (e) { init(e.target); });

  function start() {
    init(document);
    // A refused form is re-shown with its problems: bring the first one into view.
    var invalid = document.querySelector('[aria-invalid="true"]');
    if (invalid) {
      invalid.scrollIntoView({ block: "center" });
      invalid.focus({ preventScroll: true });
    }
    // The success message was shown once: drop ?ok= so a reload does not show it again.
    if (window.history && window.history.replaceState && /[?&]ok=/.test(window.location.search)) {
      var url = new URL(window.location.href);
      url.searchParams.delete("ok");
      window.history.replaceState(null, "", url.pathname + url.search + url.hash);
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
