// Moisson's web front in a real browser: starts `moisson demo`, walks a user's path at
// 1366 px (home → search → facet → dataset → use-case gap views → territory → catalogues →
// dashboard → CSV download → producers → validator report), then loads every page type
// at 1366 px and at 390 px (a phone): axe-core on each (fails on any violation, whatever
// its impact), no element wider than the viewport, a screenshot of each width saved to
// docs/screenshots/{page}-{width}.png, and the page's weight (HTML, CSS, fonts) and first
// paint from the browser's performance entries, printed as a table and written to
// docs/screenshots/page-weight.json. Any Content-Security-Policy report fails the walk.
//
// DSFR mode: when MOISSON_DSFR_DIR names an installed DSFR (scripts/dsfr/install.sh DIR),
// the same walk runs again on a demo with `[ui] design = "dsfr"` (screenshots
// docs/screenshots/dsfr-{page}-{width}.png, weights in page-weight.json's "dsfr" section);
// otherwise it is skipped with the reason printed.
//
// Environment: MOISSON_BIN (default ../../target/debug/moisson), CHROMIUM
// (default /usr/bin/chromium), MOISSON_DEMO_DATASETS (default 600), MOISSON_DEMO_PORT
// (default 18480; the DSFR demo uses the next port), MOISSON_DSFR_DIR.

import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";
import { chromium } from "playwright-core";

const require = createRequire(import.meta.url);
const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "../..");
const bin = process.env.MOISSON_BIN ?? join(root, "target/debug/moisson");
const executablePath = process.env.CHROMIUM ?? "/usr/bin/chromium";
const datasets = process.env.MOISSON_DEMO_DATASETS ?? "600";
const port = process.env.MOISSON_DEMO_PORT ?? "18480";
const dsfrDir = process.env.MOISSON_DSFR_DIR;
const shots = join(root, "docs/screenshots");
const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

const failures = [];
const axeReport = [];
function check(condition, message) {
  if (!condition) {
    failures.push(message);
    console.error(`FAIL: ${message}`);
  } else {
    console.log(`ok: ${message}`);
  }
}

/** Starts the demo and resolves with its URL once the harvests are done. */
function startDemo(dataDir, demoPort, extraEnv) {
  const child = spawn(bin, ["demo", "--port", demoPort, "--datasets", datasets], {
    env: { ...process.env, MOISSON_DATA_DIR: dataDir, RUST_LOG: "warn", ...extraEnv },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const ready = new Promise((resolveReady, reject) => {
    let url = null;
    let out = "";
    const timer = setTimeout(() => reject(new Error(`demo not ready after 300 s:\n${out}`)), 300_000);
    child.stdout.on("data", (chunk) => {
      out += chunk;
      const m = out.match(/Moisson demo: (http:\/\/\S+)/);
      if (m) url = m[1].replace(/\/$/, "");
      if (url && out.includes("harvest done")) {
        clearTimeout(timer);
        resolveReady(url);
      }
    });
    child.stderr.on("data", (chunk) => { out += chunk; });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`demo exited with ${code}:\n${out}`));
    });
  });
  return { child, ready };
}

/** Runs axe-core on the page; records and returns its serious and critical violations. */
async function audit(page, pageType) {
  // Evaluated through the DevTools protocol: the page's CSP does not apply, and the
  // page itself never runs inline script.
  await page.evaluate(axeSource);
  const result = await page.evaluate(async () =>
    // eslint-disable-next-line no-undef
    axe.run(document, { resultTypes: ["violations"] }).then((r) =>
      r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.length,
        targets: v.nodes.slice(0, 3).map((n) => n.target.join(" ")) })),
    ),
  );
  axeReport.push({ pageType, url: page.url(), violations: result });
  check(result.length === 0,
    `axe-core on ${pageType}: ${result.length} violation(s)` +
      (result.length ? ` ${JSON.stringify(result)}` : ""));
  return result;
}

const WIDTHS = [
  { width: 1366, height: 900 },
  { width: 390, height: 844 },
];
/** The design being walked: its screenshot prefix and weights. */
let design = { name: "moisson", prefix: "", weights: [] };
const weightsByDesign = {};

/** The elements wider than the viewport (none on a page that fits). */
async function overflowing(page) {
  return page.evaluate(() => {
    const limit = document.documentElement.clientWidth;
    const out = [];
    for (const el of document.querySelectorAll("body *")) {
      const r = el.getBoundingClientRect();
      if (r.width === 0) continue;
      // Content inside a scrolling region (tables) may be wider: the region scrolls.
      if (el.closest(".table-wrap") && !el.classList.contains("table-wrap")) continue;
      if (r.right > limit + 1 || r.left < -1) {
        out.push(`${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}${el.className && typeof el.className === "string" ? "." + el.className.split(" ").join(".") : ""} (${Math.round(r.left)}–${Math.round(r.right)})`);
        if (out.length >= 5) break;
      }
    }
    return { scroll: document.documentElement.scrollWidth, limit, out };
  });
}

/** The page's weight and paint timings, from the browser's performance entries. */
async function measure(page) {
  return page.evaluate(() => {
    const nav = performance.getEntriesByType("navigation")[0];
    const resources = performance.getEntriesByType("resource");
    const sum = (kind, field) => resources
      .filter((r) => kind(r.name))
      .reduce((n, r) => n + (r[field] ?? 0), 0);
    const paint = Object.fromEntries(performance.getEntriesByType("paint").map((p) => [p.name, p.startTime]));
    const isCss = (n) => /\.css(\?|$)/.test(n);
    const isFont = (n) => /\.(woff2?|ttf|otf)(\?|$)/.test(n);
    const isJs = (n) => /\.js(\?|$)/.test(n);
    return {
      html: nav.decodedBodySize,
      htmlTransfer: nav.encodedBodySize,
      css: sum(isCss, "decodedBodySize"),
      fonts: sum(isFont, "decodedBodySize"),
      js: sum(isJs, "decodedBodySize"),
      firstPaint: Math.round(paint["first-paint"] ?? -1),
      firstContentfulPaint: Math.round(paint["first-contentful-paint"] ?? -1),
      server: Math.round(nav.responseStart - nav.requestStart),
    };
  });
}

/** Loads `url` at each width: axe-core, overflow, screenshot, weight and paint. */
async function pageType(page, name, url, extra) {
  for (const size of WIDTHS) {
    await page.setViewportSize(size);
    if (url) {
      const response = await page.goto(url);
      check(response && (response.status() === 200 || name === "404"), `${name} at ${size.width} px: HTTP ${response?.status()}`);
    }
    if (extra) await extra(page, size.width);
    // Links are named by titles or French labels, never by a raw IRI or UUID.
    const rawLinks = await page.evaluate(() => [...document.querySelectorAll("a")]
      .map((a) => a.textContent.trim())
      .filter((t) => /^(https?:\/\/|urn:)\S+$/.test(t) || /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(t))
      .slice(0, 5));
    check(rawLinks.length === 0, `${name} at ${size.width} px: no raw IRI or UUID as link text (${rawLinks.join(", ")})`);
    const fit = await overflowing(page);
    check(fit.scroll <= fit.limit && fit.out.length === 0,
      `${name} at ${size.width} px: nothing wider than the viewport (page ${fit.scroll} px${fit.out.length ? ": " + fit.out.join(", ") : ""})`);
    await audit(page, `${design.prefix}${name} (${size.width} px)`);
    await page.screenshot({ path: join(shots, `${design.prefix}${name}-${size.width}.png`) });
    if (url) design.weights.push({ page: name, width: size.width, ...(await measure(page)) });
  }
}

async function walk(base, context) {
  const page = await context.newPage();
  await page.setViewportSize(WIDTHS[0]);
  const cspReports = [];
  page.on("console", (msg) => {
    if (/Content Security Policy/i.test(msg.text())) cspReports.push(msg.text());
  });
  page.on("pageerror", (err) => cspReports.push(String(err)));

  // ---- A user's path at 1366 px, collecting one URL of each page type. ----
  // Home: the first Tab reaches the skip link.
  await page.goto(`${base}/`);
  check((await page.getAttribute("html", "lang")) === "fr", "home: lang=fr");
  const dsfrLinks = await page.locator('link[rel=stylesheet][href^="/static/dsfr/"]').count();
  const scripts = await page.evaluate(() => [...document.scripts].map((s) => s.src).filter((s) => /dsfr/.test(s)));
  if (design.name === "dsfr") {
    check(dsfrLinks === 1 && (await page.locator("header.fr-header").count()) === 1,
      "dsfr: the DSFR's stylesheet (served by Moisson) and header");
    check(scripts.length === 0, "dsfr: no script of the DSFR (pages work without JavaScript)");
  } else {
    check(dsfrLinks === 0 && (await page.locator("[class*='fr-']").count()) === 0, "default design: no trace of the DSFR");
  }
  await page.keyboard.press("Tab");
  check((await page.evaluate(() => document.activeElement?.textContent?.trim())) === "Aller au contenu",
    "home: the first Tab focuses the skip link");
  check(await page.isVisible("text=Moisson en chiffres"), "home: headline figures");
  check(await page.locator("link[rel=icon]").count() === 1, "home: a favicon");

  // The territory picker suggests places as one types (GET /api/territories).
  await page.type("#territoire-commune", "quimp", { delay: 30 });
  const suggested = await page
    .waitForSelector('#territoire-commune-suggestions option[value="commune-29232"]', { state: "attached", timeout: 5000 })
    .then(() => true, () => false);
  check(suggested, "home: the territory picker suggests Quimper (commune-29232)");
  await page.fill("#territoire-commune", "");

  // Search from the home page's box.
  await page.fill("#recherche-accueil", "zones humides");
  await Promise.all([page.waitForURL(/\/recherche\?q=zones\+humides/), page.press("#recherche-accueil", "Enter")]);
  const total = await page.textContent("#resultats");
  check(/jeux? de données/.test(total ?? ""), `search: results counted (${total?.trim()})`);
  check((await page.locator("li.result").count()) > 0, "search: results listed");
  for (const dim of ["kind", "freshness"]) {
    check(await page.locator(`#facette-${dim}`).count() === 1, `search: the ${dim} facet is shown`);
  }

  // Click a facet (the first catalogue) and see the filter applied.
  const facet = page.locator("#facette-source ~ ul .facet-link").first();
  const facetText = (await facet.textContent())?.trim();
  await Promise.all([page.waitForURL(/source=/), facet.click()]);
  check(await page.locator(".active-filters .chip").count() > 0, `search: facet « ${facetText} » is an active filter`);
  const searchUrl = page.url();

  // The search page's territory picker, typed by name (the server resolves it).
  await page.fill("#territoire-recherche", "Finistère");
  await Promise.all([page.waitForURL(/territory=29/), page.click("form.place-form button")]);
  check(await page.locator(".active-filters .chip", { hasText: "Finistère" }).count() > 0,
    "search: the territory picker filters on the Finistère");

  // A territory recognised in the words is a chip that removes it.
  await page.goto(`${base}/recherche?q=${encodeURIComponent("zones humides Finistère")}`);
  const chip = page.locator(".active-filters .chip", { hasText: "Territoire reconnu" });
  check(await chip.count() === 1, "search: the territory recognised in the words is a chip");
  await Promise.all([page.waitForURL(/\/recherche\?q=zones\+humides$/), chip.click()]);
  check(await page.locator(".active-filters .chip").count() === 0, "search: the chip removed the territory");

  // The first result's dataset page.
  await page.goto(searchUrl);
  const first = page.locator("li.result h3 a").first();
  await Promise.all([page.waitForURL(/\/jeux-de-donnees\//), first.click()]);
  check(await page.isVisible("#provenance"), "dataset: provenance shown");
  check(await page.isVisible("#classement"), "dataset: classification reasons shown");
  const datasetUrl = page.url();

  // The PPRI gap view for the Finistère, chosen with the picker (a text field).
  await page.goto(`${base}/cas-d-usage/ppri`);
  await page.fill("#territoire-usage", "Finistère");
  await Promise.all([page.waitForURL(/territoire=/), page.click("form.inline-form button")]);
  const heading = (await page.textContent("#lacunes")) ?? "";
  check(/Pour votre PPRI, voici les données disponibles et celles qui manquent/.test(heading),
    `use case: gap view heading (${heading.trim()})`);
  check(await page.locator(".gap-table tbody tr").count() >= 5, "use case: needs listed");
  const gapUrl = page.url();

  // The PCAET gap view for an EPCI (Quimper Bretagne Occidentale), typed by name.
  await page.goto(`${base}/cas-d-usage/pcaet`);
  await page.fill("#territoire-usage", "Quimper Bretagne Occidentale");
  await Promise.all([page.waitForURL(/territoire=/), page.click("form.inline-form button")]);
  const epciHeading = (await page.textContent("#lacunes")) ?? "";
  check(/Pour votre PCAET/.test(epciHeading) && /Quimper/.test(epciHeading),
    `use case: PCAET gap view for an EPCI (${epciHeading.trim()})`);
  check(await page.locator(".gap-table tbody tr").count() >= 3, "use case: PCAET needs listed");

  // A commune's territory page.
  await page.goto(`${base}/territoires/commune-29232`);
  const communeTitle = (await page.textContent("h1")) ?? "";
  check(/Quimper/.test(communeTitle), `territory: commune page (${communeTitle.trim()})`);

  // Themes: the first theme with datasets (tiles without any are not links).
  await page.goto(`${base}/themes`);
  await Promise.all([page.waitForURL(/\/themes\/[a-z0-9-]+$/), page.locator("main h2 a").first().click()]);
  const themeUrl = page.url();

  // Catalogues, then the first catalogue's dashboard.
  await page.goto(`${base}/catalogues`);
  await Promise.all([page.waitForURL(/\/catalogues\/[a-z0-9-]+$/), page.locator("tbody th a").first().click()]);
  check(await page.isVisible("#score"), "dashboard: score shown");
  check(await page.locator("figure.chart svg[role=img]").count() >= 2, "dashboard: SVG charts");
  const dashboardUrl = page.url();

  // CSV download of the records to fix.
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.click("a[href$='/a-corriger.csv']"),
  ]);
  const csv = readFileSync(await download.path(), "utf8");
  // Not trim(): it would take the byte-order mark away.
  const lines = csv.replace(/\s+$/, "").split("\r\n");
  check(lines[0].startsWith("\ufeffCatalogue;Score du catalogue (/100);Identifiant;Titre;"),
    "csv: BOM and French header line");
  check(lines.length > 1, `csv: ${lines.length - 1} record lines`);
  check(lines.slice(1).every((l) => l.split(";").length >= 11), "csv: every line has the eleven columns");
  check(await page.isVisible("#priorites"), "dashboard: « à corriger en priorité » shown");
  const fixesUrl = `${dashboardUrl}/a-corriger`;

  // Producers, then the first producer's page.
  await page.goto(`${base}/producteurs`);
  check(await page.locator("tbody th a").count() > 0, "producers: listed");
  await Promise.all([page.waitForURL(/\/producteurs\/[a-z0-9-]+$/), page.locator("tbody th a").first().click()]);
  check(await page.isVisible("#priorites"), "producer: « à corriger en priorité » shown");
  check(await page.isVisible("#regle"), "producer: the merge rule explained");
  const producerUrl = page.url();

  // ---- Every page type at 1366 px and 390 px. ----
  const sparqlQuery = "PREFIX dct: <http://purl.org/dc/terms/>\nSELECT ?titre WHERE { ?d dct:title ?titre } ORDER BY ?titre LIMIT 10";
  const types = [
    ["home", `${base}/`],
    ["search", searchUrl],
    ["search-empty", `${base}/recherche?q=xylophonique`],
    ["dataset", datasetUrl],
    ["themes", `${base}/themes`],
    ["theme", themeUrl],
    ["use-cases", `${base}/cas-d-usage`],
    ["use-case-gap", gapUrl],
    ["territories", `${base}/territoires`],
    ["territory", `${base}/territoires/commune-29232`],
    ["catalogues", `${base}/catalogues`],
    ["dashboard", dashboardUrl],
    ["fixes", fixesUrl],
    ["producers", `${base}/producteurs`],
    ["producer", producerUrl],
    ["validator", `${base}/valider`],
    ["sparql", `${base}/sparql?query=${encodeURIComponent(sparqlQuery)}`],
    ["api-docs", `${base}/api/docs`],
    ["404", `${base}/nulle-part`],
  ];
  for (const [name, url] of types) {
    await pageType(page, name, url, async (p, width) => {
      if (name === "search" && width === 390) {
        // On a phone the results come before the facets.
        const result = await p.locator("li.result").first().boundingBox();
        const facets = await p.locator("aside.facets").boundingBox();
        check(result && facets && result.y < facets.y, `search at 390 px: first result (y ${Math.round(result?.y)}) before the facets (y ${Math.round(facets?.y)})`);
      }
      if (name === "dashboard" && width === 390) {
        // Wide tables scroll in a region reachable by keyboard.
        const regions = await p.locator(".table-wrap").count();
        const focusable = await p.locator('.table-wrap[tabindex="0"][role="region"][aria-label]').count();
        check(regions > 0 && regions === focusable, `dashboard at 390 px: ${focusable}/${regions} table regions focusable`);
      }
      if (name === "sparql") {
        check(await p.locator("main table td").count() > 0, `sparql at ${width} px: results as a table`);
      }
      if (name === "404") {
        check(await p.isVisible("text=Page introuvable"), "404: French page");
      }
    });
  }

  // The validator with a report (a small Turtle file uploaded), at both widths.
  const turtle = `@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
<https://ex.org/jdd/1> a dcat:Dataset ; dct:title "Zones humides du Finistère"@fr ; dcat:keyword "zones humides" .
<https://ex.org/jdd/2> a dcat:Dataset ; dct:title "PLU"@fr .`;
  await pageType(page, "validator-report", null, async (p, width) => {
    await p.goto(`${base}/valider`);
    await p.setInputFiles("#fichier", { name: "fiches.ttl", mimeType: "text/turtle", buffer: Buffer.from(turtle) });
    await Promise.all([p.waitForURL(`${base}/valider`), p.click("form.validator button[type=submit]")]);
    check(await p.isVisible("#rapport"), `validator: report shown at ${width} px`);
    // The screenshot shows the report, below the form.
    await p.locator("#rapport").scrollIntoViewIfNeeded();
  });

  check(cspReports.length === 0, `no CSP report or page error (${cspReports.join(" | ")})`);
}

function printWeights(weights) {
  console.log(`\npage weight in the ${design.name} design (bytes, decoded; HTML also as sent) and paint (ms), per page type:`);
  console.log("  page               width   html  (sent)    css  fonts    js  server  FP   FCP");
  for (const w of weights) {
    console.log(`  ${w.page.padEnd(18)} ${String(w.width).padStart(5)} ${String(w.html).padStart(6)} (${String(w.htmlTransfer).padStart(6)}) ${String(w.css).padStart(6)} ${String(w.fonts).padStart(6)} ${String(w.js).padStart(5)} ${String(w.server).padStart(6)} ${String(w.firstPaint).padStart(4)} ${String(w.firstContentfulPaint).padStart(5)}`);
  }
}

/** Starts a demo in `name`'s design (with `env`) and walks it. */
async function walkDesign(name, prefix, demoPort, env) {
  design = { name, prefix, weights: [] };
  const dataDir = mkdtempSync(join(tmpdir(), "moisson-browser-data-"));
  const profile = mkdtempSync(join(tmpdir(), "moisson-browser-profile-"));
  const demo = startDemo(dataDir, demoPort, env);
  let context;
  try {
    const base = await demo.ready;
    console.log(`demo (${name} design) ready at ${base}`);
    context = await chromium.launchPersistentContext(profile, {
      executablePath,
      headless: true,
      acceptDownloads: true,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"],
    });
    await walk(base, context);
    printWeights(design.weights);
    weightsByDesign[name] = design.weights;
  } catch (err) {
    failures.push(String(err?.stack ?? err));
    console.error(err);
  } finally {
    if (context) await context.close();
    demo.child.kill("SIGTERM");
    rmSync(profile, { recursive: true, force: true });
    // Give the demo a moment to close its store before removing it.
    await new Promise((r) => setTimeout(r, 1000));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function main() {
  mkdirSync(shots, { recursive: true });
  await walkDesign("moisson", "", port, {});
  let dsfrSkipped = null;
  if (!dsfrDir) {
    dsfrSkipped = "MOISSON_DSFR_DIR is not set (install with scripts/dsfr/install.sh DIR)";
  } else if (!existsSync(join(dsfrDir, "dist/dsfr.min.css"))) {
    dsfrSkipped = `${dsfrDir}/dist/dsfr.min.css is missing (install with scripts/dsfr/install.sh ${dsfrDir})`;
  } else {
    await walkDesign("dsfr", "dsfr-", String(Number(port) + 1),
      { MOISSON_UI_DESIGN: "dsfr", MOISSON_UI_DSFR_DIR: resolve(dsfrDir) });
  }
  if (dsfrSkipped) console.log(`\nDSFR mode skipped: ${dsfrSkipped}`);
  if (weightsByDesign.moisson) {
    const previous = existsSync(join(shots, "page-weight.json"))
      ? JSON.parse(readFileSync(join(shots, "page-weight.json"), "utf8")) : {};
    writeFileSync(join(shots, "page-weight.json"), JSON.stringify({
      moisson: weightsByDesign.moisson,
      // A walk without the DSFR keeps the last DSFR figures.
      dsfr: weightsByDesign.dsfr ?? previous.dsfr ?? null,
    }, null, 1) + "\n");
  }
  console.log("\naxe-core, per page type:");
  for (const r of axeReport) {
    const byImpact = {};
    for (const v of r.violations) byImpact[v.impact] = (byImpact[v.impact] ?? 0) + 1;
    console.log(`  ${r.pageType.padEnd(30)} ${r.violations.length} violation(s) ${JSON.stringify(byImpact)}`);
  }
  if (failures.length) {
    console.error(`\n${failures.length} failure(s)`);
    process.exit(1);
  }
  console.log("\nbrowser test passed");
}

main();
