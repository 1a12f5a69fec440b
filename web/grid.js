// The grid as the state topics show it (docs/protocol.md, "State topics"): a plain model, no DOM
// and no three.js, filled by apply(topic, text) from the MQTT messages of energrid/<n>/#.

export const KINDS = ["consumer", "supplier"];

export function deviceKey(house, kind, device) {
  return `${house}/${kind}/${device}`;
}

export class GridState {
  constructor(neighborhood) {
    this.prefix = `energrid/${neighborhood}/`;
    this.status = null; // {status: "online"|"offline", ...}
    this.totals = null; // the neighborhood payload: the totals only
    this.listed = null; // the house numbers of state/houses, in order, once it arrived
    this.places = new Map(); // house number -> {name?, x?, z?}: what setHouse gave (state/houses)
    this.spacing = 14; // the automatic layout's spacing in metres (state/houses)
    this.houses = new Map(); // house number -> {state, consumer: Map, supplier: Map}
    this.dirtyHouses = new Set(); // houses whose state or devices changed since takeChanges()
    this.layoutChanged = true; // the list of houses or of some house's devices changed
    this.totalsChanged = true;
    this.statusChanged = true;
  }

  house(number) {
    let house = this.houses.get(number);
    if (!house) {
      house = { number, state: null, consumer: new Map(), supplier: new Map() };
      this.houses.set(number, house);
      this.layoutChanged = true;
    }
    return house;
  }

  // Applies one message; returns false for a topic outside the contract or a payload that is
  // not a JSON object (the page then ignores it, as the server would).
  apply(topic, text) {
    if (!topic.startsWith(this.prefix)) return false;
    const parts = topic.slice(this.prefix.length).split("/");
    let payload = null;
    if (text.length > 0) {
      try {
        payload = JSON.parse(text);
      } catch {
        return false;
      }
      if (payload === null || typeof payload !== "object" || Array.isArray(payload)) return false;
    }
    if (parts.length === 1 && parts[0] === "status") {
      this.status = payload;
      this.statusChanged = true;
      return true;
    }
    if (parts[0] !== "state") return false;
    if (parts.length === 2 && parts[1] === "neighborhood") {
      this.totals = payload;
      this.totalsChanged = true;
      return true;
    }
    if (parts.length === 2 && parts[1] === "houses") {
      // Every house number, and in places only what setHouse gave: a house without a name is
      // "House <n>", a house without a position stands in the automatic layout.
      const numbers = Array.isArray(payload?.houses) ? payload.houses : null;
      this.listed = numbers ? numbers.filter((n) => Number.isInteger(n) && n > 0) : null;
      if (Number.isFinite(payload?.layout_spacing_m) && payload.layout_spacing_m > 0) {
        this.spacing = payload.layout_spacing_m;
      }
      this.places = new Map();
      for (const place of Array.isArray(payload?.places) ? payload.places : []) {
        if (!place || !Number.isInteger(place.house)) continue;
        const placed = Number.isFinite(place.x_m) && Number.isFinite(place.y_m);
        this.places.set(place.house, {
          name: typeof place.name === "string" ? place.name : "",
          ...(placed ? { x: place.x_m, z: place.y_m } : {}),
        });
      }
      this.layoutChanged = true;
      return true;
    }
    if (parts[1] !== "house") return false;
    const number = Number(parts[2]);
    if (!Number.isInteger(number) || number < 1) return false;
    if (parts.length === 3) {
      if (payload === null) {
        if (this.houses.delete(number)) this.layoutChanged = true;
        return true;
      }
      const house = this.house(number);
      const lists = (s) => (s ? `${s.consumers}|${s.suppliers}` : "");
      if (lists(house.state) !== lists(payload)) this.layoutChanged = true;
      house.state = payload;
      this.dirtyHouses.add(number);
      return true;
    }
    if (parts.length === 5 && KINDS.includes(parts[3])) {
      const device = Number(parts[4]);
      if (!Number.isInteger(device) || device < 1) return false;
      const house = this.house(number);
      const devices = house[parts[3]];
      if (payload === null) {
        if (devices.delete(device)) this.layoutChanged = true;
      } else {
        if (!devices.has(device)) this.layoutChanged = true;
        devices.set(device, payload);
      }
      this.dirtyHouses.add(number);
      return true;
    }
    return false;
  }

  // The houses to show, in order: those the house list names (a retained topic of a house it
  // does not name is a ghost of an earlier run), or every house heard of before it arrives.
  listedHouses() {
    const numbers = this.listed ?? [...this.houses.keys()].sort((a, b) => a - b);
    return numbers.map((n) => this.house(n));
  }

  // The devices a house lists, in order, each with its payload (null until it arrives).
  devicesOf(house, kind) {
    const listed = house.state ? house.state[`${kind}s`] : null;
    const numbers = Array.isArray(listed) ? listed : [...house[kind].keys()].sort((a, b) => a - b);
    return numbers.map((n) => ({ number: n, state: house[kind].get(n) ?? null }));
  }

  // How much of the grid has arrived: the page holds the whole grid when both pairs are equal.
  completeness() {
    let houses = 0;
    let devices = 0;
    let devicesReceived = 0;
    const listed = this.listedHouses();
    for (const house of listed) {
      if (house.state) houses += 1;
      for (const kind of KINDS) {
        for (const device of this.devicesOf(house, kind)) {
          devices += 1;
          if (device.state) devicesReceived += 1;
        }
      }
    }
    return { houses, housesListed: listed.length, devicesReceived, devices, listKnown: this.listed !== null };
  }

  takeChanges() {
    const changes = {
      houses: this.dirtyHouses,
      layout: this.layoutChanged,
      totals: this.totalsChanged,
      status: this.statusChanged,
    };
    this.dirtyHouses = new Set();
    this.layoutChanged = false;
    this.totalsChanged = false;
    this.statusChanged = false;
    return changes;
  }
}
