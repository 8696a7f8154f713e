// The new-application form: add and remove member and contact rows.
// Without this script the form offers a fixed number of rows; blank rows are ignored.
"use strict";

const ROW_NUMBER = /^(member_|contact_|licence_)(\d+)/;

// A new row takes a number no row of this page had: a file held for a removed row's
// number must not attach itself to the row added after it.
function highestNumber(container) {
  let highest = -1;
  for (const field of container.querySelectorAll("[name]")) {
    const found = field.name.match(ROW_NUMBER);
    if (found) highest = Math.max(highest, Number(found[2]));
  }
  return highest;
}

function cleared(row) {
  for (const held of row.querySelectorAll("[data-held]")) held.remove();
  for (const field of row.querySelectorAll("input, textarea")) field.value = "";
  for (const select of row.querySelectorAll("select")) select.selectedIndex = 0;
  return row;
}

function addRow(container) {
  const number = Number(container.dataset.nextRow);
  container.dataset.nextRow = String(number + 1);
  const row = cleared(container.querySelector("[data-row]").cloneNode(true));
  for (const field of row.querySelectorAll("[name]")) {
    field.name = field.name.replace(ROW_NUMBER, (_, prefix) => prefix + number);
  }
  container.append(row);
  row.querySelector("input")?.focus();
}

function removeRow(row) {
  const container = row.closest("[data-rows]");
  if (container.querySelectorAll("[data-row]").length > 1) {
    row.remove();
  } else {
    cleared(row); // the last row stays, empty, so a row can still be added from it
  }
}

document.addEventListener("DOMContentLoaded", () => {
  for (const container of document.querySelectorAll("[data-rows]")) {
    container.dataset.nextRow = String(highestNumber(container) + 1);
  }
  for (const button of document.querySelectorAll("[data-add-row], [data-remove-row]")) {
    button.hidden = false;
  }
  document.addEventListener("click", (event) => {
    const add = event.target.closest("[data-add-row]");
    if (add) {
      addRow(document.querySelector(`[data-rows="${add.dataset.addRow}"]`));
      return;
    }
    const remove = event.target.closest("[data-remove-row]");
    if (remove) removeRow(remove.closest("[data-row]"));
  });
});
