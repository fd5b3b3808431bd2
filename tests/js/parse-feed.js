#!/usr/bin/env node
// Usage: node tests/js/parse-feed.js FEED.xml
// Prints podcast-partytime's reading of the feed as JSON on stdout; exits 2 when it cannot parse it.
"use strict";
// partytime logs through pino on stdout: silence it before loading it, or its lines break the JSON.
process.env.PARTYTIME_LOG = process.env.PARTYTIME_LOG || "silent";
const fs = require("fs");
const { parseFeed } = require("podcast-partytime");

const file = process.argv[2];
if (!file) {
  process.stderr.write("usage: node parse-feed.js FEED.xml\n");
  process.exit(64);
}
const feed = parseFeed(fs.readFileSync(file, "utf8"));
if (feed === null) {
  process.stderr.write(`partytime could not parse ${file}\n`);
  process.exit(2);
}
process.stdout.write(JSON.stringify(feed) + "\n");
