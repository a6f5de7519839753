/* commentdesk moderation desk: keyboard shortcuts and decisions without reloading.
 *
 * Progressive enhancement: every action here is also an HTML form that works
 * without this file. With it, decisions go to the JSON moderation API
 * (POST /api/v1/moderation/<site>/decisions, /undo, /threads/state) with the
 * session cookie and the X-CSRFToken header. A decided comment leaves the list
 * at once, focus moves to the next one, the tab counts follow, and a toast offers
 * "Undo" (u). If the server refuses, nothing was changed (decisions are all or
 * nothing) and the comments come back.
 *
 * Keys (also in the page's help dialog, ?): j/k move, a approve, r reject,
 * s spam, p restore to pending, x select, shift+x select all, u undo, e edit,
 * h commenter history, c close/reopen the article, / search, Esc clear.
 * No framework, no inline script or style (the CSP allows neither).
 */
(function () {
  "use strict";

  document.documentElement.classList.add("js");

  var statusBox = document.getElementById("desk-status");
  var alertBox = document.getElementById("desk-alert");

  function clear(el) {
    while (el && el.firstChild) el.removeChild(el.firstChild);
  }

  function paragraph(text) {
    var p = document.createElement("p");
    p.textContent = text;
    return p;
  }

  function kbd(key) {
    var k = document.createElement("kbd");
    k.className = "hint";
    k.setAttribute("aria-hidden", "true");
    k.textContent = key;
    return k;
  }

  /* The edit page: Ctrl+Enter (Cmd+Enter) saves. */
  var editForm = document.querySelector("form.edit-form");
  if (editForm) {
    editForm.addEventListener("keydown", function (e) {
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
        e.preventDefault();
        editForm.requestSubmit();
      }
    });
  }

  var queue = document.querySelector("ol.queue");
  if (!queue) return;

  var API = queue.dataset.api;
  var TAB = queue.dataset.tab;
  var MAX_BULK = 500;
  var TARGET = { approve: "approved", reject: "rejected", spam: "spam", restore: "pending" };
  var bulkForm = document.getElementById("bulk");
  var selectAll = document.getElementById("select-all");
  var selectedCount = document.getElementById("selected-count");
  var reasonDialog = document.getElementById("reason-dialog");
  var confirmDialog = document.getElementById("confirm-dialog");
  var helpDialog = document.getElementById("help-dialog");
  var searchBox = document.getElementById("id_q");
  var undoStack = []; // newest last: {action, records, done: Promise<boolean>}
  var gone = new Set(); // ids decided on this page: a refill never brings them back
  var lastReason = {};
  var current = null;
  var refilling = false;
  var undoing = false;
  var nextPos = 0;

  /* --- messages ------------------------------------------------------------------ */

  function say(text, undoable) {
    clear(alertBox);
    clear(statusBox);
    statusBox.appendChild(paragraph(text));
    if (undoable) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "undo";
      button.setAttribute("aria-keyshortcuts", "u");
      button.append("Undo ", kbd("u"));
      button.addEventListener("click", function () { undoLast(); });
      statusBox.appendChild(button);
    }
  }

  function complain(text) {
    clear(statusBox);
    clear(alertBox);
    alertBox.appendChild(paragraph(text));
  }

  function plural(n) {
    return n === 1 ? "1 comment" : n + " comments";
  }

  function reasonLabel(code) {
    return (code || "").replace(/_/g, " ");
  }

  /* The same words as views.decision_text / decision_question. */
  function doneText(action, n, reason) {
    if (action === "approve") return "Approved " + plural(n) + ".";
    if (action === "reject") return "Rejected " + plural(n) + " (" + reasonLabel(reason) + ").";
    if (action === "spam") return "Marked " + plural(n) + " as spam (" + reasonLabel(reason) + ").";
    return "Restored " + plural(n) + " to pending.";
  }

  function question(action, n, reason) {
    if (action === "approve") return "Approve " + plural(n) + "?";
    if (action === "reject") return "Reject " + plural(n) + " (" + reasonLabel(reason) + ")?";
    if (action === "spam") return "Mark " + plural(n) + " as spam (" + reasonLabel(reason) + ")?";
    return "Restore " + plural(n) + " to pending?";
  }

  /* --- the API ------------------------------------------------------------------- */

  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function api(path, body) {
    return fetch(API + path, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify(body),
    }).then(
      function (response) {
        return response.json().catch(function () { return null; }).then(function (data) {
          if (response.ok) return data;
          var error = data && data.error;
          var text = error ? error.message : "The server answered " + response.status + ".";
          if (error && error.fields) {
            text += " " + Object.keys(error.fields).map(function (k) { return error.fields[k].join(" "); }).join(" ");
          }
          if (response.status === 401) text = "Your session has ended: log in again.";
          var failure = new Error(text);
          failure.code = error ? error.code : "";
          throw failure;
        });
      },
      function () { throw new Error("the server could not be reached."); }
    );
  }

  /* --- items, focus, selection ----------------------------------------------------------- */

  function items() {
    return Array.prototype.slice.call(queue.querySelectorAll(":scope > li.item"));
  }

  function box(el) {
    return el.querySelector("input.select");
  }

  function setCurrent(el, focus) {
    if (current && current !== el) current.classList.remove("is-current");
    current = el || null;
    if (!el) return;
    el.classList.add("is-current");
    if (focus !== false) {
      el.focus({ preventScroll: true });
      el.scrollIntoView({ block: "nearest" });
    }
  }

  function focusCurrent() {
    if (current && current.isConnected) setCurrent(current);
    else if (items().length) setCurrent(items()[0]);
  }

  function move(delta) {
    var list = items();
    if (!list.length) return;
    var i = current ? list.indexOf(current) : -1;
    if (i < 0) i = delta > 0 ? -1 : list.length;
    setCurrent(list[Math.max(0, Math.min(list.length - 1, i + delta))]);
  }

  function selectedItems() {
    return items().filter(function (el) { return box(el).checked; });
  }

  function updateSelection() {
    var n = selectedItems().length;
    var total = items().length;
    bulkForm.classList.toggle("has-selection", n > 0);
    selectedCount.textContent = n
      ? plural(n) + " selected: a, r or s decides on all of them; Esc clears."
      : "Tick comments (x) to decide on several at once.";
    if (selectAll) {
      selectAll.checked = n > 0 && n === total;
      selectAll.indeterminate = n > 0 && n < total;
    }
    bulkForm.querySelectorAll("button").forEach(function (b) { b.disabled = n === 0; });
  }

  function toggleSelected(el) {
    if (!el) return;
    box(el).checked = !box(el).checked;
    updateSelection();
  }

  function setAllSelected(on) {
    items().forEach(function (el) { box(el).checked = on; });
    updateSelection();
  }

  function syncEmpty() {
    var empty = document.getElementById("queue-empty");
    if (items().length) {
      if (empty) empty.hidden = true;
      return null;
    }
    if (!empty) {
      empty = document.createElement("p");
      empty.id = "queue-empty";
      empty.className = "empty";
      queue.before(empty);
    }
    empty.hidden = false;
    empty.tabIndex = -1;
    empty.textContent = refilling ? "Looking for more comments…" : "Nothing left in this queue for now.";
    return empty;
  }

  function insertByPos(el) {
    var pos = Number(el.dataset.pos);
    var before = items().find(function (other) { return Number(other.dataset.pos) > pos; });
    queue.insertBefore(el, before || null);
    syncEmpty();
  }

  /* --- counts ------------------------------------------------------------------------ */

  var countEls = {};
  document.querySelectorAll("[data-count-for]").forEach(function (el) { countEls[el.dataset.countFor] = el; });

  function bump(status, delta) {
    var el = countEls[status];
    if (!el || !delta) return;
    var n = Math.max(0, Number(el.dataset.count) + delta);
    el.dataset.count = String(n);
    el.textContent = String(n);
    if (status === "pending") document.title = document.title.replace(/\(\d+ pending\)/, "(" + n + " pending)");
  }

  /* A decision moves each comment from its status to ``to``, and resolves its flags. */
  function countDecision(records, to, sign) {
    records.forEach(function (r) {
      if (r.from !== to) {
        bump(r.from, -sign);
        bump(to, sign);
      }
      if (r.flagged) bump("flagged", -sign);
    });
  }

  function leftText() {
    var el = countEls[TAB];
    if (!el || TAB === "all") return "";
    return " " + el.dataset.count + " left in " + TAB + ".";
  }

  function setStatus(el, status, flagged) {
    el.dataset.status = status;
    if (flagged) el.setAttribute("data-flagged", "");
    else el.removeAttribute("data-flagged");
    var badge = el.querySelector(".badge.state");
    if (badge) {
      badge.textContent = status;
      badge.className = "badge state state-" + status;
    }
  }

  /* --- dialogs ------------------------------------------------------------------------ */

  function anyDialogOpen() {
    return !!document.querySelector("dialog[open]");
  }

  /* Resolve with the chosen reason code, or null when cancelled. Digits 1–9 choose
     and confirm at once; arrows move between reasons; Enter confirms; Esc cancels. */
  function pickReason(action, count, preselect) {
    return new Promise(function (resolve) {
      var verb = action === "spam" ? "Mark as spam" : "Reject";
      reasonDialog.querySelector("h2").textContent =
        verb + (count > 1 ? " " + plural(count) : "") + ": choose a reason";
      reasonDialog.querySelector("#reason-ok .label").textContent = verb;
      var radios = Array.prototype.slice.call(reasonDialog.querySelectorAll("input[name=reason]"));
      var chosen = radios.find(function (r) { return r.value === preselect; }) || radios[0];
      radios.forEach(function (r) { r.checked = r === chosen; });
      reasonDialog.returnValue = "";
      function onKey(e) {
        if (/^[1-9]$/.test(e.key) && radios[Number(e.key) - 1]) {
          e.preventDefault();
          radios[Number(e.key) - 1].checked = true;
          reasonDialog.close("ok");
        } else if (e.key === "Enter" && e.target.matches("input[type=radio]")) {
          e.preventDefault();
          reasonDialog.close("ok");
        }
      }
      reasonDialog.addEventListener("keydown", onKey);
      reasonDialog.addEventListener("close", function () {
        reasonDialog.removeEventListener("keydown", onKey);
        var picked = radios.find(function (r) { return r.checked; });
        resolve(reasonDialog.returnValue === "ok" && picked ? picked.value : null);
      }, { once: true });
      reasonDialog.showModal();
      chosen.focus();
    });
  }

  function confirmAction(title, text, okLabel) {
    return new Promise(function (resolve) {
      confirmDialog.querySelector("h2").textContent = title;
      confirmDialog.querySelector("#confirm-text").textContent = text;
      confirmDialog.querySelector("#confirm-ok .label").textContent = okLabel;
      confirmDialog.returnValue = "";
      confirmDialog.addEventListener("close", function () {
        resolve(confirmDialog.returnValue === "ok");
      }, { once: true });
      confirmDialog.showModal();
      confirmDialog.querySelector("#confirm-ok").focus();
    });
  }

  function toggleHelp() {
    if (helpDialog.open) {
      helpDialog.close();
      return;
    }
    helpDialog.showModal();
    helpDialog.querySelector("button.close").focus();
  }

  helpDialog.addEventListener("keydown", function (e) {
    if (e.key === "?") {
      e.preventDefault();
      helpDialog.close();
    }
  });
  helpDialog.addEventListener("close", function () { focusCurrent(); });
  document.querySelectorAll("[data-open-help]").forEach(function (b) {
    b.addEventListener("click", toggleHelp);
  });

  /* --- decisions ----------------------------------------------------------------------- */

  function applies(el, action) {
    return TARGET[action] !== el.dataset.status || (action === "approve" && el.hasAttribute("data-flagged"));
  }

  function nextFocus(list, targets, leave) {
    if (!current || !targets.has(current)) return current && current.isConnected ? current : null;
    var i = list.indexOf(current);
    if (!leave) return list[i + 1] || current;
    for (var k = i + 1; k < list.length; k++) if (!targets.has(list[k])) return list[k];
    for (k = i - 1; k >= 0; k--) if (!targets.has(list[k])) return list[k];
    return null;
  }

  /* Decide at once in the page, then ask the server; roll back if it refuses. */
  function decide(els, action, reason) {
    var targets = els.filter(function (el) { return applies(el, action); });
    if (!targets.length) {
      say("Nothing to change: already " + TARGET[action] + ".");
      return;
    }
    if (targets.length > MAX_BULK) {
      complain("At most " + MAX_BULK + " comments in one decision.");
      return;
    }
    var to = TARGET[action];
    var leave = TAB !== "all";
    var list = items();
    var focusNext = nextFocus(list, new Set(targets), leave);
    var records = targets.map(function (el) {
      return { el: el, id: el.dataset.commentId, version: el.dataset.version, from: el.dataset.status,
               flagged: el.hasAttribute("data-flagged"), entry: null, to: to };
    });
    records.forEach(function (r) {
      gone.add(r.id);
      box(r.el).checked = false;
      if (leave) r.el.remove();
      else setStatus(r.el, to, false);
    });
    countDecision(records, to, 1);
    updateSelection();
    if (focusNext) setCurrent(focusNext);
    else {
      var empty = syncEmpty();
      if (empty) empty.focus();
    }
    var entry = { action: action, records: records, done: null };
    var versions = {};
    records.forEach(function (r) { versions[r.id] = r.version; });
    entry.done = api("/decisions", { comment_ids: records.map(function (r) { return r.id; }), action: action,
                                     reason: reason || "", versions: versions }).then(
      function (answer) {
        var byId = new Map(answer.comments.map(function (c) { return [c.id, c]; }));
        records.forEach(function (r) {
          var c = byId.get(r.id);
          r.entry = c ? c.entry_id : null;
          r.to = c ? c.status : to;
        });
        say(doneText(action, records.length, reason) + leftText(), true);
        refillIfShort();
        return true;
      },
      function (error) {
        records.forEach(function (r) {
          gone.delete(r.id);
          if (leave) insertByPos(r.el);
          else setStatus(r.el, r.from, r.flagged);
        });
        countDecision(records, to, -1);
        updateSelection();
        var at = undoStack.indexOf(entry);
        if (at >= 0) undoStack.splice(at, 1);
        setCurrent(records[0].el);
        if (error.code === "changed_since_viewed") {
          complain("Nothing was changed: the author edited " +
                   (records.length === 1 ? "this comment" : "a comment") + " since you saw it. Read it again, then decide.");
          refreshItems(records.map(function (r) { return r.id; }));
        } else {
          complain("Nothing was changed: " + error.message);
        }
        return false;
      }
    );
    undoStack.push(entry);
    if (undoStack.length > 50) undoStack.shift();
  }

  function siteHasReason(code) {
    return !!reasonDialog.querySelector("input[name=reason][value='" + code + "']");
  }

  /* Ask what is missing (a reason; a confirmation for more than one), then decide. */
  function act(els, action, presetReason) {
    if (!els.length) {
      say("Move to a comment first (j / k).");
      return;
    }
    var needsReason = action === "reject" || action === "spam";
    var chain = Promise.resolve(presetReason || "");
    if (needsReason && !presetReason) {
      var preselect = action === "spam" && siteHasReason("spam") ? "spam" : lastReason[action];
      chain = pickReason(action, els.length, preselect);
    }
    chain.then(function (reason) {
      if (needsReason && !reason) {
        focusCurrent();
        return;
      }
      if (needsReason) lastReason[action] = reason;
      var go = els.length > 1
        ? confirmAction("Please confirm", question(action, els.length, reason), question(action, els.length, reason)
            .replace(/ \(.*$/, "").replace(/\?$/, ""))
        : Promise.resolve(true);
      go.then(function (ok) {
        if (ok) decide(els, action, reason);
        else focusCurrent();
      });
    });
  }

  function actOnCurrentOrSelection(action) {
    var selected = selectedItems();
    act(selected.length ? selected : (current && current.isConnected ? [current] : []), action, "");
  }

  /* Run ``fn`` over ``list`` with at most ``size`` at a time; results in order. */
  function pool(list, size, fn) {
    var results = new Array(list.length);
    var i = 0;
    function worker() {
      if (i >= list.length) return Promise.resolve();
      var k = i++;
      return fn(list[k]).then(function (result) { results[k] = result; return worker(); });
    }
    var workers = [];
    for (var w = 0; w < Math.min(size, list.length); w++) workers.push(worker());
    return Promise.all(workers).then(function () { return results; });
  }

  function undoLast() {
    if (undoing) return;
    var entry = undoStack.pop();
    if (!entry) {
      var offered = document.querySelector("form.undo-form");
      if (offered) offered.requestSubmit(); // the undo the server offers after a form decision
      else say("Nothing to undo.");
      return;
    }
    undoing = true;
    entry.done.then(function (ok) {
      if (!ok) { // refused and rolled back already: undo the one before
        undoing = false;
        undoLast();
        return;
      }
      var records = entry.records.filter(function (r) { return r.entry; });
      if (!records.length) {
        undoing = false;
        say("Nothing to undo: that decision changed nothing.");
        return;
      }
      pool(records, 6, function (r) {
        return api("/undo", { entry_id: r.entry }).then(
          function (answer) { return { r: r, status: answer.status }; },
          function (error) { return { r: r, error: error }; }
        );
      }).then(function (results) {
        var undone = results.filter(function (x) { return !x.error; });
        var failed = results.filter(function (x) { return x.error; });
        var first = null;
        undone.forEach(function (x) {
          var r = x.r;
          gone.delete(r.id);
          bump(r.to, -1);
          bump(x.status, 1);
          if (TAB === "all" || x.status === TAB) {
            setStatus(r.el, x.status, false);
            if (!r.el.isConnected) insertByPos(r.el);
            first = first || r.el;
          } else if (r.el.isConnected && TAB !== "all") {
            r.el.remove();
          }
        });
        syncEmpty();
        updateSelection();
        if (first) setCurrent(first);
        undoing = false;
        if (failed.length) {
          complain("Undid " + undone.length + " of " + records.length + ": " + failed[0].error.message);
        } else {
          say("Undone: " + plural(undone.length) + " back to " + undone[0].status + "." + leftText());
        }
      });
    });
  }

  /* The queue page as the server draws it now (first page, same tab and filters). */
  function fetchQueueDoc() {
    var url = new URL(window.location.href);
    url.searchParams.delete("cursor");
    url.hash = "";
    return fetch(url.toString(), { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) { return response.ok ? response.text() : ""; })
      .then(function (html) { return html ? new DOMParser().parseFromString(html, "text/html") : null; });
  }

  /* Draw these comments again as the server has them now (their text changed). */
  function refreshItems(ids) {
    fetchQueueDoc().then(function (doc) {
      if (!doc) return;
      ids.forEach(function (id) {
        var old = queue.querySelector(":scope > li.item[data-comment-id='" + id + "']");
        var fresh = doc.querySelector("ol.queue > li.item[data-comment-id='" + id + "']");
        if (!old || !fresh) return;
        fresh.dataset.pos = old.dataset.pos;
        fresh = document.adoptNode(fresh);
        var wasCurrent = old === current;
        old.replaceWith(fresh);
        if (wasCurrent) setCurrent(fresh);
      });
      updateSelection();
    }).catch(function () { /* the moderator can still reload */ });
  }

  /* When few comments are left on the page, append the next ones from the same
     queue (the page's own HTML, fetched again) so the desk never waits on a reload. */
  function refillIfShort() {
    if (refilling || TAB === "all" || items().length >= 5) return;
    refilling = true;
    syncEmpty();
    fetchQueueDoc()
      .then(function (doc) {
        if (!doc) return;
        var present = new Set(items().map(function (el) { return el.dataset.commentId; }));
        doc.querySelectorAll("ol.queue > li.item").forEach(function (el) {
          if (present.has(el.dataset.commentId) || gone.has(el.dataset.commentId)) return;
          el.dataset.pos = String(++nextPos);
          queue.appendChild(document.adoptNode(el));
        });
        var pager = document.querySelector("nav.pager");
        var fresh = doc.querySelector("nav.pager");
        if (pager) pager.remove();
        if (fresh) queue.after(document.adoptNode(fresh));
      })
      .catch(function () { /* the moderator can still reload */ })
      .then(function () {
        refilling = false;
        var hadFocus = document.activeElement && document.activeElement.id === "queue-empty";
        syncEmpty();
        updateSelection();
        if ((!current || !current.isConnected) && items().length) setCurrent(items()[0], hadFocus);
        else if (hadFocus) document.getElementById("queue-empty").focus();
      });
  }

  /* --- threads --------------------------------------------------------------------------- */

  function setThreadClosed(el, closed) {
    var badge = el.querySelector(".badge.closed");
    if (badge) badge.hidden = !closed;
    var button = el.querySelector("form.thread-state button");
    if (button) {
      button.value = closed ? "0" : "1";
      button.textContent = closed ? "Reopen comments" : "Close comments";
    }
  }

  function toggleThread(el) {
    if (!el) return;
    var key = el.dataset.threadKey;
    var title = el.dataset.threadTitle;
    var closing = el.querySelector(".badge.closed").hidden;
    confirmAction(
      closing ? "Close comments?" : "Reopen comments?",
      (closing ? "Readers will no longer be able to comment on “" : "Readers may comment again on “") + title + "”.",
      closing ? "Close comments" : "Reopen comments"
    ).then(function (ok) {
      if (!ok) {
        focusCurrent();
        return;
      }
      api("/threads/state", { key: key, closed: closing }).then(
        function (answer) {
          items().forEach(function (other) {
            if (other.dataset.threadKey === key) setThreadClosed(other, answer.is_closed);
          });
          say("Comments on “" + title + "” are " + (answer.is_closed ? "closed." : "open again."));
          focusCurrent();
        },
        function (error) {
          complain("Nothing was changed: " + error.message);
          focusCurrent();
        }
      );
    });
  }

  /* --- events ------------------------------------------------------------------------------- */

  function isTyping(target) {
    return !!(target && target.matches &&
      target.matches("textarea, select, [contenteditable], input:not([type=checkbox]):not([type=radio]):not([type=submit]):not([type=button])"));
  }

  document.addEventListener("keydown", function (e) {
    if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || e.isComposing) return;
    if (anyDialogOpen()) return;
    if (isTyping(e.target)) {
      if (e.key === "Escape") {
        e.target.blur();
        focusCurrent();
      }
      return;
    }
    var handled = true;
    switch (e.key) {
      case "j": move(1); break;
      case "k": move(-1); break;
      case "a": actOnCurrentOrSelection("approve"); break;
      case "r": actOnCurrentOrSelection("reject"); break;
      case "s": actOnCurrentOrSelection("spam"); break;
      case "p": actOnCurrentOrSelection("restore"); break;
      case "x": toggleSelected(current && current.isConnected ? current : null); break;
      case "X": setAllSelected(!(items().length && selectedItems().length === items().length)); break;
      case "u": undoLast(); break;
      case "e": if (current && current.isConnected) window.location.href = current.dataset.editUrl; break;
      case "h": if (current && current.isConnected) window.location.href = current.dataset.commenterUrl; break;
      case "c": toggleThread(current && current.isConnected ? current : null); break;
      case "/":
        if (searchBox) {
          searchBox.focus();
          searchBox.select();
        }
        break;
      case "?": toggleHelp(); break;
      case "Escape":
        if (selectedItems().length) setAllSelected(false);
        else handled = false;
        break;
      default: handled = false;
    }
    if (handled) e.preventDefault();
  });

  document.addEventListener("submit", function (e) {
    var form = e.target;
    var action = e.submitter ? e.submitter.value : "";
    if (form.matches("form.decide")) {
      e.preventDefault();
      var el = form.closest("li.item");
      setCurrent(el, false);
      act([el], action, form.querySelector("select[name=reason]").value);
    } else if (form === bulkForm) {
      e.preventDefault();
      var selected = selectedItems();
      if (!selected.length) say("Tick at least one comment first (x).");
      else act(selected, action, bulkForm.querySelector("select[name=reason]").value);
    } else if (form.matches("form.thread-state")) {
      e.preventDefault();
      var item = form.closest("li.item");
      setCurrent(item, false);
      toggleThread(item);
    }
  });

  queue.addEventListener("focusin", function (e) {
    var el = e.target.closest("li.item");
    if (el && el !== current) setCurrent(el, false);
  });
  queue.addEventListener("click", function (e) {
    var el = e.target.closest("li.item");
    if (el && !e.target.closest("a, button, input, select, textarea, label, summary")) setCurrent(el);
  });
  queue.addEventListener("change", function (e) {
    if (e.target.matches("input.select")) updateSelection();
  });
  if (selectAll) {
    selectAll.addEventListener("change", function () { setAllSelected(selectAll.checked); });
  }

  /* --- start ---------------------------------------------------------------------------------- */

  items().forEach(function (el) { nextPos = Math.max(nextPos, Number(el.dataset.pos)); });
  updateSelection();
  var target = window.location.hash ? document.getElementById(window.location.hash.slice(1)) : null;
  if (target && target.matches("li.item")) setCurrent(target);
  else if (items().length && (!document.activeElement || document.activeElement === document.body)) {
    setCurrent(items()[0]);
  }
})();
