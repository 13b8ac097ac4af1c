// The bill of materials page: a table of inputs, factor suggestions with confidence, the
// choice of each row (accepted, overridden, typed by hand), the model and its footprint,
// then the application. Plain script, no build step; every action is an /api/v1 call.
"use strict";
(function () {
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const messages = document.getElementById("bom-messages").dataset;
  const stageNames = Object.fromEntries(JSON.parse(messages.stageNames));
  const body = document.querySelector("#bom tbody");
  const template = document.getElementById("row-template");
  const errorBox = document.getElementById("bom-error");
  let built = null; // the last model built: {model, footprint}

  function showError(text) {
    errorBox.textContent = text;
    errorBox.hidden = !text;
  }

  async function api(path, payload, isForm) {
    const options = { method: "POST", headers: { "X-CSRF-Token": csrf }, credentials: "same-origin" };
    if (isForm) {
      options.body = payload;
    } else {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(payload);
    }
    const answer = await fetch(path, options);
    const data = await answer.json().catch(() => ({}));
    if (!answer.ok) {
      const error = data.error || {};
      const where = error.location ? error.location + ": " : "";
      throw new Error(where + (error.message || answer.statusText));
    }
    return data;
  }

  function addRow(line) {
    const row = template.content.firstElementChild.cloneNode(true);
    line = line || {};
    row.querySelector(".stage").value = line.stage || "raw_materials";
    row.querySelector(".text").value = line.text || "";
    row.querySelector(".amount").value = line.amount != null ? line.amount : "";
    row.querySelector(".unit").value = line.unit || "";
    row.querySelector(".geography").value = line.geography || "";
    row.querySelector(".primary").checked = !!line.primary;
    if (line.factor_id) row.querySelector(".factor-override").value = line.factor_id;
    row.querySelector(".remove").addEventListener("click", () => { row.remove(); built = null; });
    row.querySelector(".factor").addEventListener("change", () => describeChoice(row));
    row.querySelector(".factor-override").addEventListener("input", () => describeChoice(row));
    body.appendChild(row);
    return row;
  }

  function rowsOf() {
    return Array.from(body.querySelectorAll("tr.bom-row"));
  }

  function lineOf(row) {
    const geography = row.querySelector(".geography").value.trim();
    const amount = parseFloat(row.querySelector(".amount").value);
    return {
      text: row.querySelector(".text").value.trim(),
      amount: isNaN(amount) ? null : amount,
      unit: row.querySelector(".unit").value.trim() || null,
      geography: geography || null,
    };
  }

  // The chosen factor of a row: a typed id wins over the selected suggestion.
  function choiceOf(row) {
    const typed = row.querySelector(".factor-override").value.trim();
    const selected = row.querySelector(".factor").value;
    const suggested = row.dataset.suggested || null;
    const confidence = row.dataset.confidence ? parseFloat(row.dataset.confidence) : null;
    return { factor_id: typed || selected, suggested_id: suggested, confidence: suggested ? confidence : null };
  }

  function describeChoice(row) {
    built = null;
    const choice = choiceOf(row);
    const box = row.querySelector(".choice");
    if (!choice.factor_id) { box.textContent = ""; return; }
    if (!choice.suggested_id) box.textContent = messages.manual;
    else if (choice.factor_id === choice.suggested_id) box.textContent = messages.accepted;
    else box.textContent = messages.overridden;
  }

  async function suggest() {
    showError("");
    const rows = rowsOf();
    if (!rows.length) return;
    try {
      const found = await api("/api/v1/bom/suggest", { lines: rows.map(lineOf), limit: 5 });
      for (const item of found) {
        const row = rows[item.row];
        const select = row.querySelector(".factor");
        select.replaceChildren();
        if (!item.candidates.length) {
          select.add(new Option(messages.none, ""));
          delete row.dataset.suggested;
          delete row.dataset.confidence;
        }
        for (const c of item.candidates) {
          const name = (document.documentElement.lang.startsWith("zh") && c.name_zh) || c.name_en || c.id;
          const label = `${name} — ${messages.confidence} ${c.confidence.toFixed(2)} (${c.id})`;
          select.add(new Option(label, c.id));
        }
        if (item.candidates.length) {
          row.dataset.suggested = item.candidates[0].id;
          row.dataset.confidence = String(item.candidates[0].confidence);
          select.value = item.candidates[0].id;
        }
        describeChoice(row);
      }
    } catch (error) {
      showError(error.message);
    }
  }

  function product() {
    const value = (id) => document.getElementById(id).value.trim();
    const year = parseInt(value("product-year"), 10);
    return {
      id: value("product-id"),
      name_zh: value("product-name-zh"),
      name_en: value("product-name-en"),
      unit: value("product-unit") || "piece",
      pcr: value("product-pcr") || null,
      boundary: value("product-boundary"),
      geography: value("product-geography") || null,
      year: isNaN(year) ? null : year,
    };
  }

  async function calculate() {
    showError("");
    const rows = rowsOf().map((row) => {
      const line = lineOf(row);
      return {
        stage: row.querySelector(".stage").value,
        text: line.text,
        amount: line.amount,
        unit: line.unit,
        geography: line.geography,
        primary: row.querySelector(".primary").checked,
        ...choiceOf(row),
      };
    });
    try {
      built = await api("/api/v1/bom/model", { product: product(), rows: rows });
    } catch (error) {
      built = null;
      document.getElementById("preview").hidden = true;
      showError(error.message);
      return;
    }
    const footprint = built.footprint;
    const unit = footprint.functional_unit;
    document.getElementById("bom-total").textContent =
      `${footprint.total_kg_co2e.toPrecision(4)} kg CO2e / ${unit.amount} ${unit.unit}`;
    const stages = document.querySelector("#bom-stages tbody");
    stages.replaceChildren();
    for (const [stage, value] of Object.entries(footprint.by_stage)) {
      const tr = stages.insertRow();
      tr.insertCell().textContent = stageNames[stage] || stage;
      const cell = tr.insertCell();
      cell.className = "number";
      cell.textContent = value.toPrecision(4);
    }
    document.getElementById("bom-model").textContent = built.model.text;
    document.getElementById("preview").hidden = false;
  }

  async function applyForIt() {
    showError("");
    if (!built) { await calculate(); if (!built) return; }
    const [pcrId, pcrVersion] = (document.getElementById("product-pcr").value || "").split("@");
    try {
      const application = await api("/api/v1/applications", {
        model: built.model,
        pcr_id: pcrId,
        pcr_version: pcrVersion || "latest",
        label: document.getElementById("product-label").value,
      });
      window.location.assign(`/applications/${application.id}?done=apply`);
    } catch (error) {
      showError(error.message);
    }
  }

  async function readXlsx(event) {
    showError("");
    const file = event.target.files[0];
    if (!file) return;
    const form = new FormData();
    form.append("file", file);
    try {
      const read = await api("/api/v1/bom/xlsx", form, true);
      body.replaceChildren();
      read.lines.forEach(addRow);
      rowsOf().forEach(describeChoice);
    } catch (error) {
      showError(error.message);
    }
  }

  document.getElementById("add-row").addEventListener("click", () => addRow());
  document.getElementById("suggest").addEventListener("click", suggest);
  document.getElementById("calculate").addEventListener("click", calculate);
  document.getElementById("apply").addEventListener("click", applyForIt);
  document.getElementById("xlsx").addEventListener("change", readXlsx);
  addRow();
})();
