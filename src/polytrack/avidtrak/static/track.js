/* AvidTrak dynamic number insertion (polytrack). Loaded as /{site_key}/track.js by the embed
   snippet `var _atq = _atq || []; ...`. Reads or makes the visitor cookie _atvid, asks the swap
   endpoint which tracking number replaces each site number for this visitor, and swaps them in
   text and tel: links, keeping the way each number was written. `_atq.push(['swap'])` swaps
   again (single-page apps). */
(function (w, d) {
  "use strict";
  var KEY = "__SITE_KEY__", BASE = "__BASE_URL__", COOKIE = "_atvid", DAYS = 30;

  function visitorId() {
    var found = d.cookie.match(/(?:^|;\s*)_atvid=([A-Za-z0-9-]{8,64})(?:;|$)/);
    var id = found ? found[1] : (w.crypto && w.crypto.randomUUID ? w.crypto.randomUUID() :
      "v" + Date.now().toString(16) + Math.random().toString(16).slice(2));
    d.cookie = COOKIE + "=" + id + "; path=/; max-age=" + DAYS * 86400 + "; SameSite=Lax";
    return id;
  }

  // 4105557000, 410-555-7000, 410.555.7000, (410) 555-7000, 410 555 7000, with an optional 1 / +1
  function pattern(site) {
    return new RegExp("(?<![0-9])(\\+?1[\\s.-]?)?(\\()?(" + site.slice(0, 3) + ")(\\))?([\\s.-]?)(" +
      site.slice(3, 6) + ")([\\s.-]?)(" + site.slice(6) + ")(?![0-9])", "g");
  }

  function replacer(tracking) {
    return function (_all, prefix, open, _npa, close, sep1, _nxx, sep2) {
      return (prefix || "") + (open || "") + tracking.slice(0, 3) + (close || "") + sep1 +
        tracking.slice(3, 6) + sep2 + tracking.slice(6);
    };
  }

  function apply(swaps) {
    if (!swaps.length || !d.body) return;
    var rules = swaps.map(function (s) { return [pattern(s.site_number), replacer(s.tracking_number)]; });
    function rewrite(text) {
      rules.forEach(function (rule) { rule[0].lastIndex = 0; text = text.replace(rule[0], rule[1]); });
      return text;
    }
    var walker = d.createTreeWalker(d.body, NodeFilter.SHOW_TEXT, null), node, nodes = [];
    while ((node = walker.nextNode())) nodes.push(node);
    nodes.forEach(function (n) {
      var parent = n.parentNode && n.parentNode.nodeName;
      if (parent === "SCRIPT" || parent === "STYLE") return;
      var changed = rewrite(n.nodeValue);
      if (changed !== n.nodeValue) n.nodeValue = changed;
    });
    Array.prototype.forEach.call(d.querySelectorAll('a[href^="tel:"]'), function (a) {
      var href = a.getAttribute("href"), changed = rewrite(href);
      if (changed !== href) a.setAttribute("href", changed);
    });
  }

  function swap() {
    var url = BASE + "/dni/swap?k=" + encodeURIComponent(KEY) + "&vid=" + encodeURIComponent(visitorId()) +
      "&url=" + encodeURIComponent(w.location.href) + "&ref=" + encodeURIComponent(d.referrer || "");
    return w.fetch(url, { credentials: "omit" })
      .then(function (r) { return r.ok ? r.json() : { swaps: [] }; })
      .then(function (answer) { apply(answer.swaps || []); w._atq.swapped = answer; })
      .catch(function () {});
  }

  function run(command) {
    if (command && command[0] === "swap") swap();
  }

  var queue = w._atq = w._atq || [];
  var pending = queue.slice();
  queue.push = function (command) { run(command); return queue.length; };
  function start() {
    swap();
    pending.forEach(function (command) { if (!(command && command[0] === "swap")) run(command); });
  }
  if (d.readyState === "loading") d.addEventListener("DOMContentLoaded", start); else start();
})(window, document);
