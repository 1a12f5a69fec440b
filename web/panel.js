// The accessible panel beside the scene: the server's status, the neighborhood's totals, and
// every house and device with its state, its power and an ON/OFF button, for keyboard and
// screen-reader users (and for the tests, which use the buttons' accessible names).

import { KINDS } from "./grid.js";

const LABEL = { consumer: "Consumer", supplier: "Supplier" };

export function watts(value) {
  return typeof value === "number" ? `${value.toFixed(1)} W` : "—";
}

function isOn(kind, state) {
  if (!state) return null;
  return kind === "consumer" ? state.on : state.load_on;
}

function powerOf(kind, state) {
  if (!state) return null;
  return kind === "consumer" ? state.power_w : state.supply_w;
}

// The text of a device's last command, the page's own click first (until the server's
// state topic shows that command).
export function commandText(state, sent, self) {
  const command = state ? state.command : null;
  const word = (s) => (s === 1 ? "ON" : "OFF");
  if (sent && !(command && command.state === sent.state && command.sent_unix_s * 1000 >= sent.at - 2000)) {
    return `switch ${word(sent.state)} sent`;
  }
  if (!command) return "";
  const status = { pending: "pending", confirmed: "confirmed", unconfirmed: "not obeyed" }[command.status];
  const who = command.client && command.client !== self ? ` (by ${command.client})` : "";
  return `switch ${word(command.state)} ${status ?? command.status}${who}`;
}

export class Panel {
  constructor(root, grid, onSwitch, self) {
    this.self = self; // the name this page sends its commands under
    this.root = root;
    this.grid = grid;
    this.onSwitch = onSwitch;
    this.houseList = root.querySelector("#houses");
    this.sections = new Map(); // house number -> {section, summary, rows: Map}
  }

  renderTotals() {
    const totals = this.grid.totals;
    const set = (id, value, text) => {
      const element = this.root.querySelector(id);
      element.textContent = text;
      element.dataset.value = value ?? "";
    };
    set("#total-houses", totals?.house_count, totals ? String(totals.house_count) : "—");
    set("#total-online", totals?.houses_online, totals ? String(totals.houses_online) : "—");
    set("#total-consumption", totals?.consumption_w, watts(totals?.consumption_w));
    set("#total-supply", totals?.supply_w, watts(totals?.supply_w));
    set("#total-net", totals?.net_w, watts(totals?.net_w));
  }

  renderCompleteness() {
    const c = this.grid.completeness();
    const element = this.root.querySelector("#completeness");
    const whole =
      c.listKnown && c.houses === c.housesListed && c.devicesReceived === c.devices && this.grid.totals;
    element.textContent =
      `${c.houses} of ${c.housesListed} houses, ${c.devicesReceived} of ${c.devices} devices received` +
      (whole ? " (whole grid)" : "");
    element.dataset.whole = whole ? "true" : "false";
  }

  // Rebuilds the list of houses (their order and devices) keeping the elements that stay.
  renderLayout() {
    const keep = new Set();
    let previous = null;
    for (const house of this.grid.listedHouses()) {
      keep.add(house.number);
      let entry = this.sections.get(house.number);
      if (!entry) {
        entry = this.makeSection(house.number);
        this.sections.set(house.number, entry);
      }
      const after = previous ? previous.nextSibling : this.houseList.firstChild;
      if (entry.section !== after) this.houseList.insertBefore(entry.section, after);
      previous = entry.section;
      this.layoutDevices(house, entry);
    }
    for (const [number, entry] of this.sections) {
      if (!keep.has(number)) {
        entry.section.remove();
        this.sections.delete(number);
      }
    }
  }

  makeSection(number) {
    const section = document.createElement("section");
    section.className = "house";
    section.id = `house-${number}`;
    const title = document.createElement("h3");
    title.id = `house-${number}-title`;
    title.textContent = `House ${number}`;
    section.setAttribute("aria-labelledby", title.id);
    const summary = document.createElement("p");
    summary.className = "summary";
    const list = document.createElement("ul");
    section.append(title, summary, list);
    return { section, summary, list, rows: new Map() };
  }

  layoutDevices(house, entry) {
    const wanted = [];
    for (const kind of KINDS) {
      for (const device of this.grid.devicesOf(house, kind)) wanted.push(`${kind}/${device.number}`);
    }
    const keys = new Set(wanted);
    for (const [key, row] of entry.rows) {
      if (!keys.has(key)) {
        row.item.remove();
        entry.rows.delete(key);
      }
    }
    for (const key of wanted) {
      let row = entry.rows.get(key);
      if (!row) {
        const [kind, number] = key.split("/");
        row = this.makeRow(house.number, kind, Number(number));
        entry.rows.set(key, row);
      }
      entry.list.append(row.item); // append moves an existing row: keeps the listed order
    }
  }

  makeRow(house, kind, number) {
    const item = document.createElement("li");
    item.className = `device ${kind}`;
    const text = document.createElement("span");
    const button = document.createElement("button");
    button.type = "button";
    button.addEventListener("click", () => this.onSwitch(house, kind, number, Number(button.dataset.next)));
    const command = document.createElement("span");
    command.className = "command";
    command.setAttribute("aria-live", "polite");
    item.append(text, button, command);
    return { item, text, button, command, kind, number };
  }

  renderHouse(number, sent) {
    const entry = this.sections.get(number);
    const house = this.grid.houses.get(number);
    if (!entry || !house) return;
    const title = this.grid.places.get(number)?.name || `House ${number}`;
    if (entry.section.firstChild.textContent !== title) entry.section.firstChild.textContent = title;
    const s = house.state;
    entry.section.classList.toggle("offline", !!s && s.online === false);
    entry.summary.textContent = s
      ? `${s.online ? "online" : "offline"}; consumption ${watts(s.consumption_w)}, ` +
        `supply ${watts(s.supply_w)}, net ${watts(s.net_w)}`
      : "not received yet";
    for (const row of entry.rows.values()) {
      const state = house[row.kind].get(row.number) ?? null;
      const on = isOn(row.kind, state);
      const type = state ? state.type : "";
      const name = `House ${number} ${LABEL[row.kind]} ${row.number}${type ? ` ${type}` : ""}`;
      const onText = on === null || on === undefined ? "unknown" : on ? "ON" : "OFF";
      const online = state && state.online === false ? ", offline" : "";
      row.text.textContent = `${LABEL[row.kind]} ${row.number} ${type}: ${onText}, ${watts(powerOf(row.kind, state))}${online}`;
      const next = on ? 0 : 1;
      row.button.dataset.next = String(next);
      row.button.textContent = next ? "ON" : "OFF";
      row.button.setAttribute("aria-label", `${name}: switch ${next ? "ON" : "OFF"}`);
      row.item.dataset.on = onText;
      const key = `${number}/${row.kind}/${row.number}`;
      row.command.textContent = commandText(state, sent.get(key), this.self);
    }
  }
}
