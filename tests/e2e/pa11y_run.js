// pa11y (HTML_CodeSniffer runner, WCAG2AA) over HTML files, in one Chromium
// (Debian's, BUERGERCHAT_CHROMIUM; puppeteer's own download is not used).
// Usage: node tests/e2e/pa11y_run.js FILE...  → JSON {file: [issue, ...]} on stdout.
// Called by tests/e2e/test_html_validators.py.
"use strict";

const path = require("path");
const pa11y = require("pa11y");
const puppeteer = require(require.resolve("puppeteer", { paths: [path.dirname(require.resolve("pa11y"))] }));

async function main(files) {
  const browser = await puppeteer.launch({
    executablePath: process.env.BUERGERCHAT_CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
  });
  const results = {};
  try {
    for (const file of files) {
      const page = await browser.newPage();
      try {
        const result = await pa11y("file://" + path.resolve(file), {
          browser,
          page,
          standard: "WCAG2AA",
          runners: ["htmlcs"],
          timeout: 60000,
        });
        results[file] = result.issues;
      } finally {
        await page.close();
      }
    }
  } finally {
    await browser.close();
  }
  process.stdout.write(JSON.stringify(results));
}

main(process.argv.slice(2)).catch((error) => {
  console.error(error);
  process.exit(2);
});
