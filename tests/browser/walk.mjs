// Moisson's web front in a real browser: starts `moisson demo`, walks home → search →
// facet → dataset → use-case gap views (département, EPCI) → a commune's page → catalogues → dashboard → CSV download →
// « à corriger en priorité » → producers → a producer → validator report in headless
// Chromium, runs axe-core on every page type (fails on any serious or critical violation
// and on any Content-Security-Policy report), and saves screenshots to docs/screenshots/.
//
// Environment: MOISSON_BIN (default ../../target/debug/moisson), CHROMIUM
// (default /usr/bin/chromium), MOISSON_DEMO_DATASETS (default 600), MOISSON_DEMO_PORT
// (default 18480).

import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, mkdirSync } from "node:fs";
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
function startDemo(dataDir) {
  const child = spawn(bin, ["demo", "--port", port, "--datasets", datasets], {
    env: { ...process.env, MOISSON_DATA_DIR: dataDir, RUST_LOG: "warn" },
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
  const blocking = result.filter((v) => v.impact === "serious" || v.impact === "critical");
  axeReport.push({ pageType, url: page.url(), violations: result });
  check(blocking.length === 0,
    `axe-core on ${pageType}: ${result.length} violation(s), ${blocking.length} serious or critical` +
      (result.length ? ` ${JSON.stringify(result)}` : ""));
  return blocking;
}

async function screenshot(page, name, fullPage = false) {
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage });
}

async function walk(base, context) {
  const page = await context.newPage();
  await page.setViewportSize({ width: 1280, height: 900 });
  const cspReports = [];
  page.on("console", (msg) => {
    if (/Content Security Policy/i.test(msg.text())) cspReports.push(msg.text());
  });
  page.on("pageerror", (err) => cspReports.push(String(err)));

  // Home: the first Tab reaches the skip link.
  await page.goto(`${base}/`);
  check((await page.getAttribute("html", "lang")) === "fr", "home: lang=fr");
  await screenshot(page, "home");
  await page.keyboard.press("Tab");
  check((await page.evaluate(() => document.activeElement?.textContent?.trim())) === "Aller au contenu",
    "home: the first Tab focuses the skip link");
  check(await page.isVisible("text=Moisson en chiffres"), "home: headline figures");
  await audit(page, "home");

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

  // Click a facet (the first catalogue) and see the filter applied.
  const facet = page.locator("#facette-source ~ ul .facet-link").first();
  const facetText = (await facet.textContent())?.trim();
  await Promise.all([page.waitForURL(/source=/), facet.click()]);
  check(await page.locator(".active-filters .chip").count() > 0, `search: facet « ${facetText} » is an active filter`);
  await audit(page, "search");
  await screenshot(page, "search");

  // The first result's dataset page.
  const first = page.locator("li.result h3 a").first();
  await Promise.all([page.waitForURL(/\/jeux-de-donnees\//), first.click()]);
  check(await page.isVisible("#provenance"), "dataset: provenance shown");
  check(await page.isVisible("#classement"), "dataset: classification reasons shown");
  await audit(page, "dataset");
  await page.setViewportSize({ width: 1280, height: 1600 });
  await screenshot(page, "dataset");
  await page.setViewportSize({ width: 1280, height: 900 });

  // The PPRI gap view for the Finistère, chosen with the picker (a text field).
  await page.goto(`${base}/cas-d-usage/ppri`);
  await page.fill("#territoire-usage", "Finistère");
  await Promise.all([page.waitForURL(/territoire=/), page.click("form.inline-form button")]);
  const heading = (await page.textContent("#lacunes")) ?? "";
  check(/Pour votre PPRI, voici les données disponibles et celles qui manquent/.test(heading),
    `use case: gap view heading (${heading.trim()})`);
  check(await page.locator(".gap-table tbody tr").count() >= 5, "use case: needs listed");
  await audit(page, "use-case gap view");
  await screenshot(page, "use-case-gap", true);

  // The PCAET gap view for an EPCI (Quimper Bretagne Occidentale), typed by name: the
  // datasets of the EPCI and of the wider territories (Finistère, Bretagne, France).
  await page.goto(`${base}/cas-d-usage/pcaet`);
  await page.fill("#territoire-usage", "Quimper Bretagne Occidentale");
  await Promise.all([page.waitForURL(/territoire=/), page.click("form.inline-form button")]);
  const epciHeading = (await page.textContent("#lacunes")) ?? "";
  check(/Pour votre PCAET/.test(epciHeading) && /Quimper/.test(epciHeading),
    `use case: PCAET gap view for an EPCI (${epciHeading.trim()})`);
  check(await page.locator(".gap-table tbody tr").count() >= 3, "use case: PCAET needs listed");
  await audit(page, "use-case gap view (EPCI)");
  await screenshot(page, "use-case-gap-epci", true);

  // A commune's territory page, desktop and phone.
  await page.goto(`${base}/territoires/commune-29232`);
  const communeTitle = (await page.textContent("h1")) ?? "";
  check(/Quimper/.test(communeTitle), `territory: commune page (${communeTitle.trim()})`);
  await audit(page, "territory page (commune)");
  await screenshot(page, "territoire-commune", true);
  await page.setViewportSize({ width: 390, height: 844 });
  await audit(page, "territory page (commune, 390 px)");
  await screenshot(page, "territoire-commune-390", true);
  await page.setViewportSize({ width: 1280, height: 900 });

  // Theme page.
  await page.goto(`${base}/themes`);
  await audit(page, "themes");
  await page.locator("main h2 a").first().click();
  await audit(page, "theme");

  // Catalogues, then the first catalogue's dashboard.
  await page.goto(`${base}/catalogues`);
  await audit(page, "catalogues");
  await screenshot(page, "catalogues");
  await Promise.all([page.waitForURL(/\/catalogues\/[a-z0-9-]+$/), page.locator("tbody th a").first().click()]);
  check(await page.isVisible("#score"), "dashboard: score shown");
  check(await page.locator("figure.chart svg[role=img]").count() >= 3, "dashboard: three SVG charts");
  await audit(page, "catalogue dashboard");
  // The whole dashboard is very long: score, charts and indicators fit in 1 800 px.
  await page.setViewportSize({ width: 1280, height: 1800 });
  await screenshot(page, "dashboard");
  await page.setViewportSize({ width: 1280, height: 900 });

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

  // « À corriger en priorité » on the dashboard (the download left the page as it was),
  // desktop and 390 px.
  check(await page.isVisible("#priorites"), "dashboard: « à corriger en priorité » shown");
  await page.locator("section[aria-labelledby=priorites]").screenshot({ path: join(shots, "dashboard-priorites.png") });
  await page.setViewportSize({ width: 390, height: 844 });
  await audit(page, "dashboard at 390 px");
  await page.locator("section[aria-labelledby=priorites]").screenshot({ path: join(shots, "dashboard-priorites-390.png") });
  await page.setViewportSize({ width: 1280, height: 900 });

  // Producers, then the first producer's page.
  await page.goto(`${base}/producteurs`);
  check(await page.locator("tbody th a").count() > 0, "producers: listed");
  await audit(page, "producers");
  await screenshot(page, "producteurs");
  await page.setViewportSize({ width: 390, height: 844 });
  await audit(page, "producers at 390 px");
  await screenshot(page, "producteurs-390");
  await page.setViewportSize({ width: 1280, height: 900 });
  await Promise.all([page.waitForURL(/\/producteurs\/[a-z0-9-]+$/), page.locator("tbody th a").first().click()]);
  check(await page.isVisible("#priorites"), "producer: « à corriger en priorité » shown");
  check(await page.isVisible("#regle"), "producer: the merge rule explained");
  await audit(page, "producer");
  await page.setViewportSize({ width: 1280, height: 1800 });
  await screenshot(page, "producteur");
  await page.setViewportSize({ width: 390, height: 844 });
  await audit(page, "producer at 390 px");
  await screenshot(page, "producteur-390");
  await page.setViewportSize({ width: 1280, height: 900 });

  // The validator with a report (a small Turtle file uploaded).
  await page.goto(`${base}/valider`);
  await audit(page, "validator form");
  const turtle = `@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
<https://ex.org/jdd/1> a dcat:Dataset ; dct:title "Zones humides du Finistère"@fr ; dcat:keyword "zones humides" .
<https://ex.org/jdd/2> a dcat:Dataset ; dct:title "PLU"@fr .`;
  await page.setInputFiles("#fichier", { name: "fiches.ttl", mimeType: "text/turtle", buffer: Buffer.from(turtle) });
  await Promise.all([page.waitForURL(`${base}/valider`), page.click("form.validator button[type=submit]")]);
  check(await page.isVisible("#rapport"), "validator: report shown");
  await audit(page, "validator report");
  await page.setViewportSize({ width: 1280, height: 1600 });
  await screenshot(page, "valider");
  await page.setViewportSize({ width: 390, height: 844 });
  await audit(page, "validator at 390 px");
  await screenshot(page, "valider-390", true);
  await page.setViewportSize({ width: 1280, height: 900 });

  // A French 404.
  const missing = await page.goto(`${base}/nulle-part`);
  check(missing?.status() === 404 && (await page.isVisible("text=Page introuvable")), "404: French page");
  await audit(page, "not found");

  check(cspReports.length === 0, `no CSP report or page error (${cspReports.join(" | ")})`);
}

async function main() {
  mkdirSync(shots, { recursive: true });
  const dataDir = mkdtempSync(join(tmpdir(), "moisson-browser-data-"));
  const profile = mkdtempSync(join(tmpdir(), "moisson-browser-profile-"));
  const demo = startDemo(dataDir);
  let context;
  try {
    const base = await demo.ready;
    console.log(`demo ready at ${base}`);
    context = await chromium.launchPersistentContext(profile, {
      executablePath,
      headless: true,
      acceptDownloads: true,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"],
    });
    await walk(base, context);
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
  console.log("\naxe-core, per page type:");
  for (const r of axeReport) {
    const byImpact = {};
    for (const v of r.violations) byImpact[v.impact] = (byImpact[v.impact] ?? 0) + 1;
    console.log(`  ${r.pageType.padEnd(22)} ${r.violations.length} violation(s) ${JSON.stringify(byImpact)}`);
  }
  if (failures.length) {
    console.error(`\n${failures.length} failure(s)`);
    process.exit(1);
  }
  console.log("\nbrowser test passed");
}

main();
