// The page's pickers: which variables are shown (det nodes too), which element of a vector
// a row shows and which elements the pair plot holds. Element menus are text inputs with a
// list of labels to search (a datalist): type "a[8" and the browser offers a[8], a[80]...
let counter = 0;

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

// A searchable menu of `labels`: calls onPick(index) when a whole label is typed or chosen.
export function elementMenu(labels, current, onPick, className = "exmc-element") {
  const input = el("input", className);
  input.type = "search";
  input.spellcheck = false;
  input.placeholder = "element";
  const list = el("datalist");
  list.id = `exmc-labels-${++counter}`;
  for (const label of labels) list.append(new Option(label));
  input.setAttribute("list", list.id);
  input.value = labels[current] ?? "";
  const index = new Map(labels.map((label, k) => [label, k]));
  const pick = () => {
    const k = index.get(input.value.trim());
    if (k !== undefined) onPick(k);
  };
  input.addEventListener("change", pick);
  input.addEventListener("keydown", (event) => { if (event.key === "Enter") pick(); });
  const box = el("span", "exmc-menu");
  box.append(input, list);
  return { root: box, input, set: (k) => { if (document.activeElement !== input) input.value = labels[k] ?? ""; } };
}

// Checkboxes for every variable the dashboard can show; det nodes say so and their size.
export function variablePicker(model, spec) {
  const root = el("div", "exmc-picker");
  root.append(el("span", "exmc-stat-label", "variables"));
  const shown = new Set(spec.variables.map((v) => v.name));
  const boxes = [];
  for (const variable of spec.available ?? []) {
    const label = el("label", "exmc-pick");
    const box = el("input");
    box.type = "checkbox";
    box.value = variable.name;
    box.checked = shown.has(variable.name);
    const size = variable.shape.reduce((a, b) => a * b, 1);
    const note = variable.det ? ` (det${size > 1 ? `, ${size}` : ""})` : size > 1 ? ` (${size})` : "";
    label.append(box, document.createTextNode(variable.name + note));
    label.dataset.variable = variable.name;
    if (variable.det) label.classList.add("exmc-det");
    boxes.push(box);
    root.append(label);
  }
  root.addEventListener("change", () => {
    const names = boxes.filter((b) => b.checked).map((b) => b.value);
    if (names.length === 0) return; // at least one variable stays
    model.set("var_names", names);
    model.save_changes();
  });
  return root;
}

// One searchable menu per pair-plot slot, over every element shown.
export function pairPicker(model, spec) {
  const root = el("div", "exmc-pair-picker");
  const labels = spec.variables.flatMap((v) => v.labels);
  const chosen = [...spec.pair];
  chosen.forEach((label, slot) => {
    const menu = elementMenu(labels, labels.indexOf(label), (k) => {
      const next = [...model.get("pair")];
      next[slot] = labels[k];
      if (new Set(next).size !== next.length) return; // the same element twice says nothing
      model.set("pair", next);
      model.save_changes();
    }, "exmc-element exmc-pair-element");
    root.append(menu.root);
  });
  return root;
}
