/* commentdesk embed widget.
 *
 * <script src="https://comments.example/embed.js" defer></script>
 * <div id="commentdesk" data-site="demo" data-key="/some/article"></div>
 *
 * Optional: data-title and data-url describe the article (used when its thread
 * is first created); without them the widget takes og:title / <h1> / the page
 * title and the canonical link / the page address.
 *
 * Talks only to the host that served this file. Every text from the server is
 * put into the page with textContent, never as HTML.
 *
 * While it loads the container has aria-busy="true" and data-state="loading";
 * then data-state is "ready" (or "error" when the thread could not be shown).
 *
 * Nudge: where the site turns it on (site info "nudge"), the draft is first sent
 * to POST /threads/{site}/nudge; when triage expects a rejection the reader sees
 * the site's guidelines and chooses "Edit my comment" or "Post anyway", and the
 * submission carries that choice ("revised" / "posted_anyway"). A failed check
 * never blocks posting.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  var base = script ? new URL(script.src, document.baseURI).origin : window.location.origin;
  var api = base + "/api/v1";

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (name) {
        if (name === "className") node.className = attrs[name];
        else node.setAttribute(name, attrs[name]);
      });
    }
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function request(method, path, body, headers) {
    var init = { method: method, headers: { Accept: "application/json" }, credentials: "omit", cache: "no-cache" };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    Object.keys(headers || {}).forEach(function (k) { init.headers[k] = headers[k]; });
    return fetch(api + path, init).then(function (response) {
      return response.text().then(function (text) {
        var data = null;
        try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
        return { status: response.status, data: data, headers: response.headers };
      });
    });
  }

  function errorText(result) {
    var err = result.data && result.data.error;
    if (!err) return "Something went wrong (" + result.status + "). Please try again.";
    var parts = [err.message];
    Object.keys(err.fields || {}).forEach(function (f) { parts.push(err.fields[f].join(" ")); });
    if (result.status === 429) {
      var wait = result.headers.get("Retry-After");
      if (wait) parts.push("Try again in " + wait + " seconds.");
    }
    return parts.join(" ");
  }

  function formatDate(iso) {
    var d = new Date(iso);
    if (isNaN(d.getTime())) return iso;
    try {
      return d.toLocaleString(document.documentElement.lang || undefined, { dateStyle: "medium", timeStyle: "short" });
    } catch (e) { return d.toISOString(); }
  }

  function countChars(text) {
    // Code points, as the server counts them (an emoji is one character).
    return Array.from(text.trim()).length;
  }

  function meta(selector, attr) {
    var node = document.querySelector(selector);
    var value = node && (attr ? node.getAttribute(attr) : node.textContent);
    return value ? value.trim() : "";
  }

  function Widget(root) {
    this.root = root;
    this.site = root.getAttribute("data-site");
    this.key = root.getAttribute("data-key") || window.location.pathname;
    this.url = root.getAttribute("data-url") || meta('link[rel="canonical"]', "href") || window.location.href.split("#")[0];
    this.title = root.getAttribute("data-title") || meta('meta[property="og:title"]', "content") || meta("h1") || document.title;
    this.replyTo = null;
    this.idempotencyKey = null;
    this.closed = false;
    this.nudged = null;  // after a nudge: "revised" or "posted_anyway"
  }

  /* The secret the server gave this browser for its commenter on this site: it lets a
   * commenter the moderators trust be published at once. Kept only in this browser. */
  Widget.prototype.commenterToken = function (value) {
    var key = "commentdesk:commenter:" + this.site;
    try {
      if (value) window.localStorage.setItem(key, value);
      return window.localStorage.getItem(key) || "";
    } catch (e) { return ""; }
  };

  Widget.prototype.start = function () {
    var self = this;
    var href = base + "/embed.css";
    var known = Array.prototype.some.call(document.querySelectorAll('link[rel="stylesheet"]'), function (l) { return l.href === href; });
    if (!known) document.head.appendChild(el("link", { rel: "stylesheet", href: href }));
    this.root.classList.add("cd");
    this.root.setAttribute("aria-busy", "true");
    this.root.setAttribute("data-state", "loading");
    this.root.textContent = "";
    this.countLine = el("h2", { className: "cd-count" }, "Comments");
    this.list = el("ol", { className: "cd-comments" });
    this.formBox = el("div", { className: "cd-form-box" });
    this.root.appendChild(this.countLine);
    this.root.appendChild(this.list);
    this.root.appendChild(this.formBox);
    var enc = encodeURIComponent;
    return Promise.all([
      request("GET", "/sites/" + enc(this.site) + "?lang=" + enc(document.documentElement.lang || "")),
      request("GET", "/threads/" + enc(this.site) + "/comments?key=" + enc(this.key) + "&limit=500")
    ]).then(function (results) {
      if (results[0].status !== 200) {
        self.countLine.textContent = "Comments are unavailable: " + errorText(results[0]);
        return false;
      }
      self.siteInfo = results[0].data;
      return self.renderThread(results[1]);
    }).catch(function () {
      self.countLine.textContent = "Comments could not be loaded.";
      return false;
    }).then(function (ok) {
      self.root.removeAttribute("aria-busy");
      self.root.setAttribute("data-state", ok ? "ready" : "error");
    });
  };

  Widget.prototype.renderThread = function (result) {
    if (result.status !== 200) {
      this.countLine.textContent = "Comments could not be loaded: " + errorText(result);
      return false;
    }
    var data = result.data;
    var n = data.thread.comment_count;
    this.countLine.textContent = n === 1 ? "1 comment" : n + " comments";
    this.closed = data.thread.is_closed;
    this.list.textContent = "";
    var byId = {};
    var roots = [];
    data.comments.forEach(function (c) { byId[c.id] = { comment: c, children: [] }; });
    data.comments.forEach(function (c) {
      var node = byId[c.id];
      if (c.parent_id && byId[c.parent_id]) byId[c.parent_id].children.push(node);
      else roots.push(node);
    });
    var self = this;
    roots.forEach(function (node) { self.list.appendChild(self.renderComment(node, 0)); });
    if (!data.comments.length) this.list.appendChild(el("li", { className: "cd-empty" }, this.closed ? "No comments." : "No comments yet. Be the first to comment."));
    this.renderForm();
    return true;
  };

  Widget.prototype.renderComment = function (node, depth) {
    var c = node.comment;
    var self = this;
    var li = el("li", { className: "cd-comment", id: "cd-" + c.id, "data-comment-id": c.id });
    var article = el("article", { className: "cd-item" + (c.removed ? " cd-removed" : ""),
                                  "aria-label": c.removed ? "Removed comment" : "Comment by " + c.author_name });
    var head = el("p", { className: "cd-head" });
    head.appendChild(el("strong", { className: "cd-author" }, c.author_name));
    head.appendChild(el("time", { className: "cd-time", datetime: c.published_at }, formatDate(c.published_at)));
    if (c.edited_by_moderator) head.appendChild(el("span", { className: "cd-edited", title: "A moderator edited this comment under the Terms of Use." }, "edited by moderator"));
    else if (c.edited) head.appendChild(el("span", { className: "cd-edited" }, "edited"));
    article.appendChild(head);
    article.appendChild(el("p", { className: "cd-body" }, c.body));
    // An erased comment stays only so that its replies keep their place: nothing to answer or report.
    if (!c.removed) {
      var actions = el("p", { className: "cd-actions" });
      if (!this.closed) {
        var reply = el("button", { type: "button", className: "cd-reply", "aria-label": "Reply to " + c.author_name }, "Reply");
        reply.addEventListener("click", function () { self.setReplyTo(c); });
        actions.appendChild(reply);
      }
      var report = el("button", { type: "button", className: "cd-report", "aria-expanded": "false" }, "Report");
      report.addEventListener("click", function () { self.showReport(article, report, c); });
      actions.appendChild(report);
      article.appendChild(actions);
    }
    li.appendChild(article);
    if (node.children.length) {
      var ol = el("ol", { className: "cd-replies" + (depth >= 3 ? " cd-flat" : "") });
      node.children.forEach(function (child) { ol.appendChild(self.renderComment(child, depth + 1)); });
      li.appendChild(ol);
    }
    return li;
  };

  Widget.prototype.showReport = function (article, button, c) {
    var open = article.querySelector(".cd-report-form");
    if (open) { open.querySelector("select").focus(); return; }
    var form = el("form", { className: "cd-report-form" });
    var select = el("select", { name: "reason", "aria-label": "Reason for reporting" });
    [["abusive", "Abusive"], ["spam", "Spam"], ["off_topic", "Off topic"], ["misinformation", "Misinformation"], ["other", "Other"]]
      .forEach(function (r) { select.appendChild(el("option", { value: r[0] }, r[1])); });
    var send = el("button", { type: "submit" }, "Send report");
    var cancel = el("button", { type: "button", className: "cd-link" }, "Cancel");
    var status = el("span", { className: "cd-report-status", role: "status" });
    form.appendChild(select);
    form.appendChild(send);
    form.appendChild(cancel);
    form.appendChild(status);
    cancel.addEventListener("click", function () {
      form.remove();
      button.setAttribute("aria-expanded", "false");
      button.focus();
    });
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      send.disabled = true;
      request("POST", "/comments/" + encodeURIComponent(c.id) + "/flags", { reason: select.value }).then(function (r) {
        status.textContent = r.status === 202 ? "Thank you; a moderator will look at it." : errorText(r);
        if (r.status !== 202) send.disabled = false;
        else { select.disabled = true; cancel.textContent = "Close"; }
      }, function () {
        send.disabled = false;
        status.textContent = "The report could not be sent. Check your connection and try again.";
      });
    });
    article.appendChild(form);
    button.setAttribute("aria-expanded", "true");
    select.focus();
  };

  Widget.prototype.setReplyTo = function (c) {
    this.replyTo = c;
    this.showReplyState();
    if (this.bodyInput) this.bodyInput.focus();
  };

  Widget.prototype.showReplyState = function () {
    if (!this.formHeading) return;
    this.formHeading.textContent = this.replyTo ? "Reply to " + this.replyTo.author_name : "Write a comment";
    this.cancelReply.hidden = !this.replyTo;
  };

  Widget.prototype.renderClosed = function () {
    this.closed = true;
    this.formBox.textContent = "";
    this.formHeading = null;
    this.bodyInput = null;
    this.formBox.appendChild(el("p", { className: "cd-closed", role: "status" }, "Comments on this article are closed."));
    Array.prototype.forEach.call(this.list.querySelectorAll(".cd-reply"), function (b) { b.remove(); });
  };

  Widget.prototype.renderForm = function () {
    var self = this;
    var info = this.siteInfo;
    this.formBox.textContent = "";
    if (this.closed) {
      this.renderClosed();
      return;
    }
    var uid = "cd-" + Math.random().toString(36).slice(2, 8);
    var aside = el("aside", { className: "cd-guidelines", "aria-labelledby": uid + "-rules" });
    aside.appendChild(el("h3", { id: uid + "-rules" }, "Before you comment"));
    if (info.guidelines) aside.appendChild(el("p", null, info.guidelines));
    if (info.disclaimer) aside.appendChild(el("p", { className: "cd-disclaimer" }, info.disclaimer));
    if (info.terms_url && /^https?:\/\//.test(info.terms_url)) {
      var terms = el("a", { href: info.terms_url, rel: "noopener noreferrer" }, "Terms of Use");
      var p = el("p");
      p.appendChild(terms);
      aside.appendChild(p);
    }
    var form = el("form", { className: "cd-form", novalidate: "", "aria-labelledby": uid + "-title" });
    var top = el("div", { className: "cd-form-top" });
    this.formHeading = el("h3", { id: uid + "-title" });
    this.cancelReply = el("button", { type: "button", className: "cd-cancel-reply cd-link" }, "Cancel reply");
    this.cancelReply.addEventListener("click", function () {
      var to = self.replyTo;
      self.replyTo = null;
      self.showReplyState();
      var button = to && document.querySelector("#cd-" + CSS.escape(to.id) + " .cd-reply");
      if (button) button.focus();
    });
    top.appendChild(this.formHeading);
    top.appendChild(this.cancelReply);
    form.appendChild(top);
    var inputs = {};
    function field(name, label, input, hint) {
      var wrap = el("p", { className: "cd-field" });
      wrap.appendChild(el("label", { "for": input.id }, label));
      if (hint) {
        var h = el("span", { className: "cd-hint", id: input.id + "-hint" }, hint);
        wrap.appendChild(h);
        input.setAttribute("aria-describedby", h.id);
      }
      wrap.appendChild(input);
      var problem = el("span", { className: "cd-field-error", id: input.id + "-error" });
      problem.hidden = true;
      wrap.appendChild(problem);
      form.appendChild(wrap);
      inputs[name] = { input: input, problem: problem, hint: hint ? input.id + "-hint" : "" };
      return input;
    }
    var name = field("author_name", "Name", el("input", { id: uid + "-name", name: "author_name", maxlength: "80", autocomplete: "nickname", required: "" }), "Shown with your comment. Any name you like.");
    var email = field("email", "E-mail (optional)", el("input", { id: uid + "-email", name: "email", type: "email", autocomplete: "email" }), "Never shown.");
    var notifyWrap = el("p", { className: "cd-field cd-notify" });
    var notify = el("input", { id: uid + "-notify", name: "notify", type: "checkbox" });
    notifyWrap.appendChild(notify);
    notifyWrap.appendChild(el("label", { "for": notify.id }, "E-mail me when my comment is published or answered (we send a confirmation link first)."));
    notifyWrap.hidden = true;
    form.appendChild(notifyWrap);
    email.addEventListener("input", function () { notifyWrap.hidden = !email.value.trim(); });
    var body = field("body", "Comment", el("textarea", { id: uid + "-body", name: "body", rows: "5", required: "" }));
    var counter = el("span", { className: "cd-counter", id: uid + "-count" });
    body.parentNode.appendChild(counter);
    body.setAttribute("aria-describedby", counter.id);
    inputs.body.hint = counter.id;
    this.bodyInput = body;
    var trap = el("p", { className: "cd-trap", "aria-hidden": "true" });
    var website = el("input", { id: uid + "-website", name: "website", tabindex: "-1", autocomplete: "off" });
    trap.appendChild(el("label", { "for": website.id }, "Leave this empty"));
    trap.appendChild(website);
    form.appendChild(trap);
    var nudgeBox = el("div", { className: "cd-nudge", role: "region", "aria-labelledby": uid + "-nudge" });
    nudgeBox.hidden = true;
    form.appendChild(nudgeBox);
    var row = el("p", { className: "cd-submit" });
    var send = el("button", { type: "submit", className: "cd-send" }, "Send for moderation");
    row.appendChild(send);
    form.appendChild(row);
    var status = el("p", { className: "cd-status", role: "status", "aria-live": "polite" });
    form.appendChild(status);

    function updateCounter() {
      var n = countChars(body.value);
      var max = info.body_max_length;
      counter.textContent = n + " / " + max + " characters";
      counter.classList.toggle("cd-over", n > max);
    }
    body.addEventListener("input", updateCounter);
    updateCounter();

    function showProblems(fields) {
      var shown = [];
      var first = null;
      Object.keys(inputs).forEach(function (k) {
        var f = inputs[k];
        var list = fields && fields[k];
        f.problem.hidden = !list;
        f.problem.textContent = list ? list.join(" ") : "";
        if (list) {
          f.input.setAttribute("aria-invalid", "true");
          f.input.setAttribute("aria-describedby", [f.hint, f.problem.id].filter(Boolean).join(" "));
          shown.push(k);
          if (!first) first = f.input;
        } else {
          f.input.removeAttribute("aria-invalid");
          if (f.hint) f.input.setAttribute("aria-describedby", f.hint);
          else f.input.removeAttribute("aria-describedby");
        }
      });
      if (first) first.focus();
      return shown;
    }

    var REASONS = { wording: "its wording", links: "its links", tone: "its tone" };

    function hideNudge() {
      nudgeBox.hidden = true;
      nudgeBox.textContent = "";
    }

    // A gentle note before posting: the site's guidelines, and the reader's choice.
    function showNudge(data) {
      nudgeBox.textContent = "";
      nudgeBox.appendChild(el("h4", { id: uid + "-nudge" }, "Before you post"));
      var why = (data.reasons || []).map(function (r) { return REASONS[r]; }).filter(Boolean);
      nudgeBox.appendChild(el("p", null, "A moderator may not publish this comment as it stands" +
        (why.length ? " (" + why.join(", ") + ")" : "") + ". Please have another look at the site's guidelines:"));
      if (data.message) nudgeBox.appendChild(el("blockquote", { className: "cd-nudge-guidelines" }, data.message));
      var choices = el("p", { className: "cd-nudge-choices" });
      var revise = el("button", { type: "button", className: "cd-nudge-edit" }, "Edit my comment");
      var anyway = el("button", { type: "button", className: "cd-nudge-post cd-link" }, "Post anyway");
      revise.addEventListener("click", function () {
        self.nudged = "revised";
        hideNudge();
        status.textContent = "";
        body.focus();
      });
      anyway.addEventListener("click", function () {
        self.nudged = "posted_anyway";
        hideNudge();
        post();
      });
      choices.appendChild(revise);
      choices.appendChild(anyway);
      nudgeBox.appendChild(choices);
      nudgeBox.hidden = false;
      status.className = "cd-status";
      status.textContent = "Not sent yet: please see the note above.";
      revise.focus();
    }

    try { name.value = window.localStorage.getItem("commentdesk:name") || ""; } catch (e) { /* storage off */ }
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      if (send.disabled) return;
      if (!info.nudge || self.nudged === "posted_anyway" || !body.value.trim()) {
        post();
        return;
      }
      send.disabled = true;
      showProblems(null);
      hideNudge();
      status.className = "cd-status";
      status.textContent = "Checking…";
      request("POST", "/threads/" + encodeURIComponent(self.site) + "/nudge",
              { body: body.value, lang: document.documentElement.lang || "" })
        .then(function (r) { return r; }, function () { return null; })
        .then(function (r) {
          send.disabled = false;
          if (r && r.status === 200 && r.data && r.data.nudge) showNudge(r.data);
          else post();  // nothing to say, or the check failed: never block posting
        });
    });

    function post() {
      send.disabled = true;
      showProblems(null);
      status.className = "cd-status";
      status.textContent = "Sending…";
      if (!self.idempotencyKey) self.idempotencyKey = (window.crypto && crypto.randomUUID) ? crypto.randomUUID() : String(Date.now()) + Math.random();
      var payload = {
        key: self.key, url: self.url, title: self.title,
        parent_id: self.replyTo ? self.replyTo.id : null,
        author_name: name.value, email: email.value, body: body.value, website: website.value,
        notify: !!(notify.checked && email.value.trim()), commenter_token: self.commenterToken(),
        nudge: self.nudged
      };
      request("POST", "/threads/" + encodeURIComponent(self.site) + "/comments", payload, { "Idempotency-Key": self.idempotencyKey })
        .then(function (r) {
          send.disabled = false;
          var code = r.data && r.data.error && r.data.error.code;
          if (r.status === 202) {
            self.idempotencyKey = null;
            self.nudged = null;
            hideNudge();
            try { window.localStorage.setItem("commentdesk:name", name.value); } catch (e) { /* storage off */ }
            if (r.data.commenter_token) self.commenterToken(r.data.commenter_token);
            body.value = "";
            updateCounter();
            self.replyTo = null;
            self.showReplyState();
            status.className = "cd-status cd-ok";
            status.textContent = r.data.message;
          } else if (r.status === 403 && code === "thread_closed") {
            self.idempotencyKey = null;
            self.renderClosed();
          } else {
            if (r.status < 500) self.idempotencyKey = null;
            var fields = (r.data && r.data.error && r.data.error.fields) || {};
            var shown = showProblems(fields);
            var others = Object.keys(fields).filter(function (f) { return shown.indexOf(f) < 0; })
              .map(function (f) { return fields[f].join(" "); });
            status.className = "cd-status cd-error";
            status.textContent = shown.length ? ["Please correct the marked fields."].concat(others).join(" ") : errorText(r);
          }
        })
        .catch(function () {
          send.disabled = false;
          status.className = "cd-status cd-error";
          status.textContent = "The comment could not be sent. Check your connection and send again.";
        });
    }
    // The guidelines come first in reading order (and first on a narrow
    // screen); on a wide one the stylesheet puts them beside the form.
    this.formBox.appendChild(aside);
    this.formBox.appendChild(form);
    this.showReplyState();
  };

  function boot() {
    var roots = document.querySelectorAll("#commentdesk, [data-commentdesk]");
    Array.prototype.forEach.call(roots, function (root) { new Widget(root).start(); });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", boot);
  else boot();
})();
