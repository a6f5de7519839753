/* commentdesk embed widget.
 *
 * <script src="https://comments.example/embed.js" defer></script>
 * <div id="commentdesk" data-site="demo" data-key="/some/article"></div>
 *
 * Talks only to the host that served this file. Every text from the server is
 * put into the page with textContent, never as HTML.
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

  function Widget(root) {
    this.root = root;
    this.site = root.getAttribute("data-site");
    this.key = root.getAttribute("data-key") || window.location.pathname;
    this.url = root.getAttribute("data-url") || window.location.href.split("#")[0];
    this.title = root.getAttribute("data-title") || document.title;
    this.replyTo = null;
    this.idempotencyKey = null;
  }

  Widget.prototype.start = function () {
    var self = this;
    var css = el("link", { rel: "stylesheet", href: base + "/embed.css" });
    document.head.appendChild(css);
    this.root.classList.add("cd");
    this.root.textContent = "";
    this.list = el("ol", { className: "cd-comments", "aria-live": "polite" });
    this.countLine = el("h2", { className: "cd-count" }, "Comments");
    this.formBox = el("div", { className: "cd-form-box" });
    this.root.appendChild(this.countLine);
    this.root.appendChild(this.list);
    this.root.appendChild(this.formBox);
    var enc = encodeURIComponent;
    return Promise.all([
      request("GET", "/sites/" + enc(this.site)),
      request("GET", "/threads/" + enc(this.site) + "/comments?key=" + enc(this.key) + "&limit=500")
    ]).then(function (results) {
      if (results[0].status !== 200) {
        self.countLine.textContent = "Comments are unavailable: " + errorText(results[0]);
        return;
      }
      self.siteInfo = results[0].data;
      self.renderThread(results[1]);
    }).catch(function () {
      self.countLine.textContent = "Comments could not be loaded.";
    });
  };

  Widget.prototype.renderThread = function (result) {
    if (result.status !== 200) {
      this.countLine.textContent = "Comments could not be loaded: " + errorText(result);
      return;
    }
    var data = result.data;
    var n = data.thread.comment_count;
    this.countLine.textContent = n === 1 ? "1 comment" : n + " comments";
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
    if (!data.comments.length) this.list.appendChild(el("li", { className: "cd-empty" }, "No comments yet."));
    this.closed = data.thread.is_closed;
    this.renderForm();
  };

  Widget.prototype.renderComment = function (node, depth) {
    var c = node.comment;
    var self = this;
    var li = el("li", { className: "cd-comment", id: "cd-" + c.id, "data-comment-id": c.id });
    var head = el("div", { className: "cd-head" });
    head.appendChild(el("strong", { className: "cd-author" }, c.author_name));
    head.appendChild(el("time", { className: "cd-time", datetime: c.published_at }, formatDate(c.published_at)));
    if (c.edited_by_moderator) head.appendChild(el("span", { className: "cd-edited" }, "edited by moderator"));
    else if (c.edited) head.appendChild(el("span", { className: "cd-edited" }, "edited"));
    li.appendChild(head);
    li.appendChild(el("p", { className: "cd-body" }, c.body));
    var actions = el("div", { className: "cd-actions" });
    var reply = el("button", { type: "button", className: "cd-reply" }, "Reply");
    reply.addEventListener("click", function () { self.setReplyTo(c); });
    var report = el("button", { type: "button", className: "cd-report" }, "Report");
    report.addEventListener("click", function () { self.showReport(li, c); });
    actions.appendChild(reply);
    actions.appendChild(report);
    li.appendChild(actions);
    if (node.children.length) {
      var ol = el("ol", { className: "cd-replies" });
      node.children.forEach(function (child) { ol.appendChild(self.renderComment(child, depth + 1)); });
      li.appendChild(ol);
    }
    return li;
  };

  Widget.prototype.showReport = function (li, c) {
    if (li.querySelector(".cd-report-form")) return;
    var form = el("form", { className: "cd-report-form" });
    var select = el("select", { name: "reason", "aria-label": "Reason for reporting" });
    [["abusive", "Abusive"], ["spam", "Spam"], ["off_topic", "Off topic"], ["misinformation", "Misinformation"], ["other", "Other"]]
      .forEach(function (r) { select.appendChild(el("option", { value: r[0] }, r[1])); });
    var send = el("button", { type: "submit" }, "Send report");
    var status = el("span", { className: "cd-report-status", role: "status" });
    form.appendChild(select);
    form.appendChild(send);
    form.appendChild(status);
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      send.disabled = true;
      request("POST", "/comments/" + encodeURIComponent(c.id) + "/flags", { reason: select.value }).then(function (r) {
        status.textContent = r.status === 202 ? "Thank you; a moderator will look at it." : errorText(r);
        if (r.status !== 202) send.disabled = false;
      });
    });
    li.querySelector(".cd-actions").after(form);
  };

  Widget.prototype.setReplyTo = function (c) {
    this.replyTo = c;
    this.renderForm();
    var text = this.formBox.querySelector("textarea");
    if (text) text.focus();
  };

  Widget.prototype.renderForm = function () {
    var self = this;
    var info = this.siteInfo;
    this.formBox.textContent = "";
    if (this.closed) {
      this.formBox.appendChild(el("p", { className: "cd-closed" }, "Comments on this article are closed."));
      return;
    }
    var aside = el("aside", { className: "cd-guidelines" });
    aside.appendChild(el("h3", null, "Before you comment"));
    if (info.guidelines) aside.appendChild(el("p", null, info.guidelines));
    if (info.disclaimer) aside.appendChild(el("p", { className: "cd-disclaimer" }, info.disclaimer));
    if (info.terms_url && /^https?:\/\//.test(info.terms_url)) {
      var terms = el("a", { href: info.terms_url, rel: "noopener noreferrer", target: "_blank" }, "Terms of Use");
      var p = el("p");
      p.appendChild(terms);
      aside.appendChild(p);
    }
    var form = el("form", { className: "cd-form", novalidate: "" });
    form.appendChild(el("h3", null, this.replyTo ? "Reply to " + this.replyTo.author_name : "Write a comment"));
    if (this.replyTo) {
      var cancel = el("button", { type: "button", className: "cd-cancel-reply" }, "Cancel reply");
      cancel.addEventListener("click", function () { self.replyTo = null; self.renderForm(); });
      form.appendChild(cancel);
    }
    function field(label, input) {
      var wrap = el("p", { className: "cd-field" });
      var l = el("label", { "for": input.id }, label);
      wrap.appendChild(l);
      wrap.appendChild(input);
      form.appendChild(wrap);
      return input;
    }
    var uid = "cd-" + Math.random().toString(36).slice(2, 8);
    var name = field("Name (shown with your comment)", el("input", { id: uid + "-name", name: "author_name", maxlength: "80", autocomplete: "nickname", required: "" }));
    var email = field("E-mail (optional, never shown)", el("input", { id: uid + "-email", name: "email", type: "email", autocomplete: "email" }));
    var body = field("Comment", el("textarea", { id: uid + "-body", name: "body", rows: "5", maxlength: String(info.body_max_length), required: "" }));
    var trap = el("p", { className: "cd-trap", "aria-hidden": "true" });
    var website = el("input", { name: "website", tabindex: "-1", autocomplete: "off" });
    trap.appendChild(el("label", null, "Leave this empty"));
    trap.appendChild(website);
    form.appendChild(trap);
    var send = el("button", { type: "submit", className: "cd-send" }, "Send for moderation");
    form.appendChild(send);
    var status = el("p", { className: "cd-status", role: "status", "aria-live": "polite" });
    form.appendChild(status);
    try { name.value = window.localStorage.getItem("commentdesk:name") || ""; } catch (e) { /* storage off */ }
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      send.disabled = true;
      status.className = "cd-status";
      status.textContent = "Sending…";
      if (!self.idempotencyKey) self.idempotencyKey = (window.crypto && crypto.randomUUID) ? crypto.randomUUID() : String(Date.now()) + Math.random();
      var payload = {
        key: self.key, url: self.url, title: self.title,
        parent_id: self.replyTo ? self.replyTo.id : null,
        author_name: name.value, email: email.value, body: body.value, website: website.value
      };
      request("POST", "/threads/" + encodeURIComponent(self.site) + "/comments", payload, { "Idempotency-Key": self.idempotencyKey })
        .then(function (r) {
          send.disabled = false;
          if (r.status === 202) {
            self.idempotencyKey = null;
            try { window.localStorage.setItem("commentdesk:name", name.value); } catch (e) { /* storage off */ }
            body.value = "";
            status.className = "cd-status cd-ok";
            status.textContent = r.data.message;
          } else {
            if (r.status < 500) self.idempotencyKey = null;
            status.className = "cd-status cd-error";
            status.textContent = errorText(r);
          }
        })
        .catch(function () {
          send.disabled = false;
          status.className = "cd-status cd-error";
          status.textContent = "The comment could not be sent. Check your connection and send again.";
        });
    });
    this.formBox.appendChild(form);
    this.formBox.appendChild(aside);
  };

  function boot() {
    var roots = document.querySelectorAll("#commentdesk, [data-commentdesk]");
    Array.prototype.forEach.call(roots, function (root) { new Widget(root).start(); });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", boot);
  else boot();
})();
