// Energrid's web view: connects straight to the broker's websockets listener, follows
// energrid/<n>/# (docs/protocol.md) and draws it in 3D and in an accessible panel. A click on a
// device publishes its command topic, as setConsumer/setSupplier would, and shows the server's
// confirmation when it comes.

import { GridState, deviceKey } from "./grid.js";
import { Panel } from "./panel.js";
import { NoScene, Scene } from "./scene.js";

const PANEL_EVERY_MS = 250; // the DOM is rebuilt at most 4 times a second; the scene every frame

const config = await (await fetch("/config.json")).json();
const grid = new GridState(config.neighborhood);
const sent = new Map(); // device key -> {state, at}: commands this page sent, until settled
const pageId = `energrid-view-${Math.random().toString(16).slice(2, 10)}`;
const decoder = new TextDecoder();
let client = null;
let sender = pageId; // the name our commands carry: the account we logged in with, else pageId
// When the broker accepted us and when the page first held the whole grid (performance.now()).
const timings = { connected: null, whole: null, drawn: null, messages: 0, applyMs: 0, sceneMs: 0, panelMs: 0 };

const element = (id) => document.getElementById(id);

function say(id, text, kind) {
  const target = element(id);
  target.textContent = text;
  target.className = kind;
}

function showServerStatus() {
  const status = grid.status ? grid.status.status : null;
  if (status === "online") say("server-status", "Energrid server online", "good");
  else if (status === "offline") say("server-status", "Energrid server OFFLINE: the values shown are its last ones", "bad");
  else say("server-status", "Energrid server status not known yet", "unknown");
}

function commandTopic(house, kind, number) {
  const device = kind === "consumer" ? "Consumer" : "Supplier";
  const verb = kind === "consumer" ? "set" : "booleanLoad";
  return `Neighborhood/${config.neighborhood}/House/${house}/${device}/${number}/${verb}`;
}

function switchDevice(house, kind, number, state) {
  if (!client || !client.connected) {
    say("broker-status", "Not connected to the broker: the command was not sent", "bad");
    return;
  }
  const key = deviceKey(house, kind, number);
  sent.set(key, { state, at: Date.now() });
  scene.pending.add(key);
  grid.dirtyHouses.add(house);
  // Who sent it: an MQTT 5 user property the server may echo in the device's command status.
  const properties = { userProperties: { client: sender } };
  client.publish(commandTopic(house, kind, number), String(state), { qos: 1, properties });
}

// A command of ours is settled when the device's state topic shows it confirmed or not obeyed.
function settle(changedHouses) {
  for (const [key, command] of sent) {
    const [house, kind, number] = key.split("/");
    if (!changedHouses.has(Number(house))) continue;
    const state = grid.houses.get(Number(house))?.[kind].get(Number(number));
    const last = state ? state.command : null;
    if (last && last.state === command.state && last.sent_unix_s * 1000 >= command.at - 2000) {
      if (last.status !== "pending") scene.pending.delete(key);
      if (last.status !== "pending") sent.delete(key);
      else scene.pending.delete(key); // the server has it: shown as its own pending
    }
  }
}

function connect(username, password) {
  if (client) client.end(true);
  const host = config.ws_host || location.hostname;
  // wss when the broker's listener speaks TLS (--ws-tls), or when the page came over https.
  const scheme = config.ws_tls || location.protocol === "https:" ? "wss" : "ws";
  const url = `${scheme}://${host}:${config.ws_port}/`;
  const options = { protocolVersion: 5, clientId: username || pageId, clean: true, reconnectPeriod: 2000, connectTimeout: 5000 };
  if (username) Object.assign(options, { username, password });
  say("broker-status", `Connecting to the broker at ${url}`, "unknown");
  const own = mqtt.connect(url, options);
  client = own;
  sender = username || pageId;
  panel.self = sender;
  let connectedOnce = false;
  // Events of a client replaced by a later connect() (the login form) are not ours any more.
  const on = (event, handler) => own.on(event, (...args) => own === client && handler(...args));
  on("connect", () => {
    connectedOnce = true;
    timings.connected = performance.now();
    timings.whole = null;
    timings.drawn = null;
    say("broker-status", `Connected to the broker at ${url}`, "good");
    element("login").hidden = true;
    own.subscribe(`energrid/${config.neighborhood}/#`, { qos: 0 });
  });
  on("message", (topic, payload) => {
    const started = performance.now();
    grid.apply(topic, decoder.decode(payload));
    timings.messages += 1;
    timings.applyMs += performance.now() - started;
    timings.lastMessage = performance.now();
  });
  let refused = false;
  const refuse = (why) => {
    // A wrong account or password is not retried: the form comes back instead.
    if (refused) return;
    refused = true;
    own.end(true);
    say("broker-status", `The broker at ${url} refused ${username}: ${why}`, "bad");
    element("login-name").value = username;
    element("login").hidden = false;
  };
  on("close", () => {
    // Mosquitto may close a websocket it refuses without a CONNACK the page can read.
    if (username && !connectedOnce) refuse("check the account and its password (or is the broker down?)");
    else say("broker-status", `Not connected to the broker at ${url}; retrying`, "bad");
  });
  on("error", (error) => {
    if (username && /authori|User Name or Password/i.test(String(error.message))) refuse(error.message);
    else say("broker-status", `Broker: ${error.message}`, "bad");
  });
}

element("login").addEventListener("submit", (event) => {
  event.preventDefault();
  const name = element("login-name").value.trim();
  connect(name.startsWith("client-") ? name : `client-${name}`, element("login-password").value);
});

const panel = new Panel(element("panel"), grid, switchDevice, sender);
function makeScene() {
  try {
    return new Scene(element("scene"), grid, (house, kind, number) => {
      const state = grid.houses.get(house)?.[kind].get(number);
      const on = state ? (kind === "consumer" ? state.on : state.load_on) : false;
      switchDevice(house, kind, number, on ? 0 : 1);
    });
  } catch (error) {
    return new NoScene(element("scene"), error); // no WebGL: a line says so, the panel works
  }
}
const scene = makeScene();
element("vr").appendChild(scene.vrButton());

let held = { houses: new Set(), layout: false, totals: false, status: false };
let panelAt = 0;
let checkedAt = 0;

function isWhole() {
  const c = grid.completeness();
  return grid.totals && c.listKnown && c.houses === c.housesListed && c.devicesReceived === c.devices;
}

// Just after connecting, the retained grid pours in (12,002 messages at 1,000 houses): the page
// then leaves the main thread to the messages and draws once they are all in, or after
// LOAD_QUIET_MS at the latest so that a grid that never completes is still shown.
const LOAD_QUIET_MS = 3000;

function loading(now) {
  if (timings.connected === null || timings.whole !== null) return false;
  if (now - checkedAt > 100) {
    checkedAt = now;
    if (isWhole()) timings.whole = now;
  }
  return timings.whole === null && now - timings.connected < LOAD_QUIET_MS;
}

scene.start(() => {
  if (loading(performance.now())) return;
  const changes = grid.takeChanges();
  const started = performance.now();
  settle(changes.houses);
  scene.update(changes);
  timings.sceneMs += performance.now() - started;
  for (const house of changes.houses) held.houses.add(house);
  held.layout ||= changes.layout;
  held.totals ||= changes.totals;
  held.status ||= changes.status;
  const now = performance.now();
  if (now - panelAt < PANEL_EVERY_MS) return;
  panelAt = now;
  const panelStarted = performance.now();
  if (held.status) showServerStatus();
  if (held.totals) panel.renderTotals();
  if (held.layout) panel.renderLayout();
  const houses = held.layout ? grid.houses.keys() : held.houses;
  for (const house of houses) panel.renderHouse(house, sent);
  if (held.layout || held.totals || held.houses.size) panel.renderCompleteness();
  timings.panelMs += performance.now() - panelStarted;
  if (timings.whole !== null && timings.drawn === null) timings.drawn = performance.now();
  held = { houses: new Set(), layout: false, totals: false, status: false };
});

window.energridView = { grid, scene, timings }; // for the benchmark (frames drawn) and curious users

if (config.username && !config.password) {
  element("login-name").value = config.username;
  element("login").hidden = false;
  say("broker-status", `Enter the password of ${config.username}`, "unknown");
} else {
  connect(config.username, config.password);
}
