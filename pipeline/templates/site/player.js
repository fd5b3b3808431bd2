// Chapter, show-notes and transcript times seek the player, and so does a click anywhere in a transcript
// paragraph; the segment being heard is highlighted. The times are buttons, so keyboards reach them too.
(function () {
  "use strict";
  var players = Array.prototype.slice.call(document.querySelectorAll("audio.player, video.player"));
  var lastUsed = players[0] || null;

  players.forEach(function (player) {
    player.addEventListener("play", function () {
      lastUsed = player;
      players.forEach(function (other) { if (other !== player && !other.paused) { other.pause(); } });
    });
    player.addEventListener("timeupdate", function () { highlight(player.currentTime); });
  });

  function activePlayer() {
    var playing = players.filter(function (player) { return !player.paused; });
    return playing[0] || lastUsed;
  }

  var segments = Array.prototype.slice.call(document.querySelectorAll(".segment"));
  var current = null;
  function highlight(time) {
    var found = null;
    for (var i = 0; i < segments.length; i++) {
      if (Number(segments[i].dataset.start) <= time) { found = segments[i]; } else { break; }
    }
    if (found === current) { return; }
    if (current) { current.classList.remove("current"); }
    if (found) { found.classList.add("current"); }
    current = found;
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-seek]");
    var player = activePlayer();
    if (!button || !player) { return; }
    // A click that ends a text selection in the transcript is someone copying a quote, not seeking.
    if (button.tagName !== "BUTTON" && String(window.getSelection()).length > 0) { return; }
    event.preventDefault();
    player.currentTime = Number(button.dataset.seek);
    highlight(player.currentTime);
    var started = player.play();
    // Playback may be refused (no codec, no user gesture): the seek still happened.
    if (started && started.catch) { started.catch(function () {}); }
  });
})();
