// The 3D neighborhood: one instanced mesh for the buildings, one merged mesh for the consumers
// inside them and one for the suppliers on their roofs, so 1,000 houses cost three draw calls (and, up to 100 houses, a name label each). Clicking a
// device (mouse, or a VR controller's select) calls onPick(house, kind, number).

import * as THREE from "three";
import { OrbitControls } from "/vendor/OrbitControls.js";
import { VRButton } from "/vendor/VRButton.js";
import { KINDS } from "./grid.js";

const SPACING = 14; // metres between two houses' centres
const FOOTPRINT = 8;
const TALLEST = 30; // metres: a building's height is capped there
// An offline house is left out of the live totals: it is drawn low and grey, whatever it drew
// when last heard from (its last values are in the panel).
const OFFLINE_HEIGHT = 1.5;
const FILL = 0.88; // the framed buildings reach this far towards the picture's edges (1)
const COLOURS = {
  offline: new THREE.Color(0x5d6068),
  exporting: new THREE.Color(0x1fd85c),
  importing: new THREE.Color(0xff7a1a),
  balanced: new THREE.Color(0xf2d230),
  on: new THREE.Color(0xffd84a),
  off: new THREE.Color(0x30343c),
  unknown: new THREE.Color(0x8a8f99),
  pending: new THREE.Color(0x9d6bff),
  supplyOn: new THREE.Color(0x3f7fe8),
  supplyOff: new THREE.Color(0x1c2a44),
};

// The automatic layout: houses in listed order on a square grid centred on the origin, as the
// server describes it (docs/protocol.md, "State topics"; spacing from state/houses).
export function layoutPosition(index, count, spacing = SPACING) {
  const columns = Math.max(1, Math.ceil(Math.sqrt(count)));
  const offset = ((columns - 1) * spacing) / 2;
  return { x: (index % columns) * spacing - offset, z: Math.floor(index / columns) * spacing - offset };
}

function isOffline(state) {
  return !state || state.online === false;
}

function heightOf(state) {
  if (isOffline(state)) return OFFLINE_HEIGHT;
  const kw = typeof state.consumption_w === "number" ? state.consumption_w / 1000 : 0;
  return Math.min(TALLEST, 3 + kw * 3);
}

function houseColour(state, target) {
  if (isOffline(state)) return target.copy(COLOURS.offline);
  const net = state.net_w ?? 0;
  const base = Math.abs(net) < 50 ? COLOURS.balanced : net > 0 ? COLOURS.exporting : COLOURS.importing;
  // Glow: a house that consumes more is brighter; never darker than its colour, which would
  // turn orange into brown.
  const kw = (state.consumption_w ?? 0) / 1000;
  return target.copy(base).multiplyScalar(1 + Math.min(0.3, kw / 8));
}

// A name above each building, so that a room can tell which house is which: one sprite per
// house with its text drawn on a small canvas. Sprites are part of the scene, so the labels are
// seen in a headset too. Each costs a draw call and a texture: they are drawn only for grids of
// up to LABELS_UP_TO houses (a 1,000-house grid is read in the panel, not by its labels).
const LABELS_UP_TO = 100;
const WIDTH_PX = 256;
const HEIGHT_PX = 64;
const WIDTH_M = 7; // about a building's footprint, readable from the framed camera

function drawText(canvas, text, offline) {
  const context = canvas.getContext("2d");
  context.clearRect(0, 0, WIDTH_PX, HEIGHT_PX);
  context.fillStyle = offline ? "rgba(40, 44, 52, 0.85)" : "rgba(13, 20, 32, 0.8)";
  context.beginPath();
  context.roundRect(2, 2, WIDTH_PX - 4, HEIGHT_PX - 4, 12);
  context.fill();
  context.font = "bold 30px system-ui, sans-serif";
  context.textAlign = "center";
  context.textBaseline = "middle";
  context.fillStyle = offline ? "#b4b9c2" : "#ffffff";
  context.fillText(text, WIDTH_PX / 2, HEIGHT_PX / 2, WIDTH_PX - 16);
}

class Labels {
  constructor(scene) {
    this.scene = scene;
    this.sprites = new Map(); // house number -> sprite; sprite.userData.text is what it reads
  }

  // Keeps one label for each of these house numbers (none beyond LABELS_UP_TO houses).
  sync(numbers) {
    const wanted = new Set(numbers.length <= LABELS_UP_TO ? numbers : []);
    for (const [number, sprite] of this.sprites) {
      if (wanted.has(number)) continue;
      this.scene.remove(sprite);
      sprite.material.map.dispose();
      sprite.material.dispose();
      this.sprites.delete(number);
    }
    for (const number of wanted) {
      if (this.sprites.has(number)) continue;
      const canvas = document.createElement("canvas");
      canvas.width = WIDTH_PX;
      canvas.height = HEIGHT_PX;
      const texture = new THREE.CanvasTexture(canvas);
      texture.colorSpace = THREE.SRGBColorSpace;
      const material = new THREE.SpriteMaterial({ map: texture, depthTest: false, transparent: true });
      const sprite = new THREE.Sprite(material);
      sprite.scale.set(WIDTH_M, (WIDTH_M * HEIGHT_PX) / WIDTH_PX, 1);
      sprite.renderOrder = 10; // over the translucent buildings
      sprite.userData = { canvas, text: null, offline: null };
      this.sprites.set(number, sprite);
      this.scene.add(sprite);
    }
  }

  // Puts a house's label at (x, y, z) and redraws its text only when it changed.
  show(number, text, offline, x, y, z) {
    const sprite = this.sprites.get(number);
    if (!sprite) return;
    sprite.position.set(x, y, z);
    const data = sprite.userData;
    if (data.text === text && data.offline === offline) return;
    drawText(data.canvas, text, offline);
    data.text = text;
    data.offline = offline;
    sprite.material.map.needsUpdate = true;
  }
}

class InstancedSet {
  constructor(scene, geometry, material) {
    this.scene = scene;
    this.geometry = geometry;
    this.material = material;
    this.mesh = null;
    this.keys = []; // instance index -> key
    this.index = new Map(); // key -> instance index
  }

  resize(keys) {
    this.keys = keys;
    this.index = new Map(keys.map((key, i) => [key, i]));
    const capacity = Math.max(16, 2 ** Math.ceil(Math.log2(Math.max(1, keys.length))));
    if (!this.mesh || this.mesh.instanceMatrix.count < capacity) {
      if (this.mesh) {
        this.scene.remove(this.mesh);
        this.mesh.dispose();
      }
      this.mesh = new THREE.InstancedMesh(this.geometry, this.material, capacity);
      this.mesh.instanceMatrix.setUsage(THREE.DynamicDrawUsage);
      this.mesh.setColorAt(0, COLOURS.unknown);
      this.mesh.frustumCulled = false;
      this.scene.add(this.mesh);
    }
    this.mesh.count = keys.length;
  }

  touched() {
    this.mesh.instanceMatrix.needsUpdate = true;
    if (this.mesh.instanceColor) this.mesh.instanceColor.needsUpdate = true;
  }
}

// Flat tiles merged into one plain mesh (four vertices each, colours per vertex). A CPU
// renderer (SwiftShader, headless Chromium without a GPU) pays for every instance of an
// instanced mesh as for a draw of its own: with 10,000 consumers as instances the page drew 3.4
// frames a second, with this mesh 35.6 (docs/performance.md). Picking maps the face hit back to
// its tile (two faces a tile).
class TileSet {
  constructor(scene, width, depth) {
    this.scene = scene;
    this.width = width;
    this.depth = depth;
    this.mesh = null;
    this.keys = [];
    this.index = new Map();
    this.corner = new THREE.Vector3();
  }

  resize(keys) {
    this.keys = keys;
    this.index = new Map(keys.map((key, i) => [key, i]));
    const capacity = Math.max(16, 2 ** Math.ceil(Math.log2(Math.max(1, keys.length))));
    if (!this.mesh || this.capacity < capacity) {
      if (this.mesh) {
        this.scene.remove(this.mesh);
        this.mesh.geometry.dispose();
      }
      this.capacity = capacity;
      const geometry = new THREE.BufferGeometry();
      const position = new THREE.BufferAttribute(new Float32Array(capacity * 12), 3);
      const colour = new THREE.BufferAttribute(new Float32Array(capacity * 12), 3);
      position.setUsage(THREE.DynamicDrawUsage);
      colour.setUsage(THREE.DynamicDrawUsage);
      const order = new Uint32Array(capacity * 6);
      for (let i = 0; i < capacity; i += 1) order.set([0, 2, 1, 2, 3, 1].map((v) => v + i * 4), i * 6);
      geometry.setIndex(new THREE.BufferAttribute(order, 1));
      geometry.setAttribute("position", position);
      geometry.setAttribute("color", colour);
      geometry.setAttribute("normal", new THREE.BufferAttribute(new Float32Array(capacity * 12).map((_, i) => (i % 3 === 1 ? 1 : 0)), 3));
      const material = new THREE.MeshLambertMaterial({ vertexColors: true, side: THREE.DoubleSide });
      this.mesh = new THREE.Mesh(geometry, material);
      this.mesh.frustumCulled = false;
      this.scene.add(this.mesh);
    }
    this.mesh.geometry.setDrawRange(0, keys.length * 6);
  }

  // A tile centred on (x, y, z), raised by `rise` at its far edge (a panel facing the sky).
  place(index, x, y, z, rise = 0) {
    const p = this.mesh.geometry.attributes.position.array;
    const w = this.width / 2;
    const d = this.depth / 2;
    p.set([x - w, y, z - d + 0, x + w, y, z - d, x - w, y, z + d, x + w, y, z + d], index * 12);
    p[index * 12 + 1] += rise;
    p[index * 12 + 4] += rise;
    this.moved = true;
  }

  paint(index, colour) {
    const c = this.mesh.geometry.attributes.color.array;
    for (let v = 0; v < 4; v += 1) c.set([colour.r, colour.g, colour.b], index * 12 + v * 3);
  }

  keyOf(faceIndex) {
    return this.keys[Math.floor(faceIndex / 2)];
  }

  touched() {
    this.mesh.geometry.attributes.position.needsUpdate = true;
    this.mesh.geometry.attributes.color.needsUpdate = true;
    if (this.moved) {
      // The raycaster skips a mesh whose bounding sphere misses the ray: keep it around the tiles.
      this.mesh.geometry.computeBoundingSphere();
      this.moved = false;
    }
  }
}

export class Scene {
  constructor(container, grid, onPick) {
    this.grid = grid;
    this.onPick = onPick;
    this.renderer = new THREE.WebGLRenderer({ antialias: false, powerPreference: "high-performance" });
    this.renderer.setPixelRatio(Math.min(1.5, window.devicePixelRatio));
    this.renderer.xr.enabled = true;
    container.appendChild(this.renderer.domElement);
    this.scene = new THREE.Scene();
    this.scene.background = new THREE.Color(0x0d1420);
    this.camera = new THREE.PerspectiveCamera(40, 1, 0.1, 5000);
    this.camera.position.set(0, 30, 45);
    this.controls = new OrbitControls(this.camera, this.renderer.domElement);
    this.controls.maxPolarAngle = Math.PI * 0.48;
    // Once the user turned or zoomed the view, only new houses move the camera again.
    this.controls.addEventListener("start", () => (this.userMoved = true));
    this.scene.add(new THREE.HemisphereLight(0xdde8ff, 0x202830, 1.4));
    // Light on the walls too (the camera looks from the south): without it an orange wall in
    // shade reads as brown.
    this.scene.add(new THREE.AmbientLight(0xffffff, 0.9));
    const sun = new THREE.DirectionalLight(0xffffff, 1.6);
    sun.position.set(30, 70, 70);
    this.scene.add(sun);
    this.ground = new THREE.Mesh(
      new THREE.PlaneGeometry(1, 1),
      new THREE.MeshLambertMaterial({ color: 0x1d2a1f }),
    );
    this.ground.rotation.x = -Math.PI / 2;
    this.scene.add(this.ground);
    const building = new THREE.BoxGeometry(1, 1, 1).translate(0, 0.5, 0);
    this.houses = new InstancedSet(
      this.scene,
      building,
      new THREE.MeshLambertMaterial({ transparent: true, opacity: 0.72, depthWrite: false }),
    );
    this.labels = new Labels(this.scene);
    this.heights = new Map(); // house number -> its building's height in metres
    this.framedPlaces = ""; // placesKey() when the camera was last fitted
    this.framedHeight = 0; // and the tallest building then
    this.devices = {
      consumer: new TileSet(this.scene, 1.4, 1.4),
      supplier: new TileSet(this.scene, 2.4, 1.6),
    };
    this.positions = new Map(); // house number -> {x, z}
    this.pending = new Set(); // device keys with a command on its way
    this.matrix = new THREE.Matrix4();
    this.colour = new THREE.Color();
    this.raycaster = new THREE.Raycaster();
    this.frames = 0;
    this.listenForPicks();
    this.resize();
    new ResizeObserver(() => this.resize()).observe(container);
  }

  vrButton() {
    return VRButton.createButton(this.renderer);
  }

  resize() {
    const canvas = this.renderer.domElement.parentElement;
    const width = canvas.clientWidth || 800;
    const height = canvas.clientHeight || 600;
    this.renderer.setSize(width, height);
    this.camera.aspect = width / height;
    this.camera.updateProjectionMatrix();
    if (this.positions && !this.userMoved) this.frame();
  }

  placesKey() {
    return [...this.positions].map(([number, at]) => `${number}:${at.x}:${at.z}`).join(" ");
  }

  tallest() {
    let tallest = OFFLINE_HEIGHT;
    for (const height of this.heights.values()) tallest = Math.max(tallest, height);
    return tallest;
  }

  // Points the camera at the buildings (their heights and the labels above them included) from
  // the south, 45 degrees up, centred and as close as keeps every one of them in the picture.
  frame() {
    if (this.positions.size === 0) return;
    const corners = [];
    const half = FOOTPRINT / 2 + 0.5;
    const above = this.labels.sprites.size ? 4.4 : 0.5;
    for (const [number, at] of this.positions) {
      const top = (this.heights.get(number) ?? OFFLINE_HEIGHT) + above;
      for (const x of [at.x - half, at.x + half]) {
        for (const y of [0, top]) {
          for (const z of [at.z - half, at.z + half]) corners.push(new THREE.Vector3(x, y, z));
        }
      }
    }
    const box = new THREE.Box3().setFromPoints(corners);
    const target = box.getCenter(new THREE.Vector3());
    const direction = new THREE.Vector3(0, Math.SQRT1_2, Math.SQRT1_2);
    const projected = new THREE.Vector3();
    const place = (distance) => {
      this.camera.position.copy(target).addScaledVector(direction, distance);
      this.camera.lookAt(target);
      this.camera.updateMatrixWorld();
    };
    // The corners' extent on the screen (-1..1 both ways) from that distance.
    const extent = (distance) => {
      place(distance);
      const e = { left: 1, right: -1, bottom: 1, top: -1, behind: false };
      for (const corner of corners) {
        projected.copy(corner).project(this.camera);
        e.behind ||= projected.z >= 1;
        e.left = Math.min(e.left, projected.x);
        e.right = Math.max(e.right, projected.x);
        e.bottom = Math.min(e.bottom, projected.y);
        e.top = Math.max(e.top, projected.y);
      }
      return e;
    };
    const fits = (e) => !e.behind && Math.max(-e.left, e.right, -e.bottom, e.top) <= FILL;
    const radius = box.getBoundingSphere(new THREE.Sphere()).radius;
    // Fit the distance, move the target to the middle of what is seen, and fit again.
    let distance = radius * 4;
    for (let pass = 0; pass < 2; pass += 1) {
      let near = radius * 0.3;
      let far = radius * 8;
      for (let i = 0; i < 20; i += 1) {
        const middle = (near + far) / 2;
        if (fits(extent(middle))) far = middle;
        else near = middle;
      }
      distance = far;
      if (pass === 1) break;
      const e = extent(distance);
      // Half the picture's height and width in metres at the target's distance.
      const halfHeight = distance * Math.tan(THREE.MathUtils.degToRad(this.camera.fov / 2));
      const right = new THREE.Vector3().setFromMatrixColumn(this.camera.matrixWorld, 0);
      const up = new THREE.Vector3().setFromMatrixColumn(this.camera.matrixWorld, 1);
      target.addScaledVector(right, ((e.left + e.right) / 2) * halfHeight * this.camera.aspect);
      target.addScaledVector(up, ((e.bottom + e.top) / 2) * halfHeight);
    }
    place(distance);
    this.controls.target.copy(target);
    this.controls.update();
    this.framedPlaces = this.placesKey();
    this.framedHeight = this.tallest();
  }


  // Places every house and device again: after the list of houses or devices changed.
  layout() {
    const houses = this.grid.listedHouses();
    // The place setHouse gave (energrid/<n>/state/houses), else the automatic layout.
    const place = (h, i) => {
      const given = this.grid.places.get(h.number);
      return given && given.x !== undefined ? given : layoutPosition(i, houses.length, this.grid.spacing);
    };
    this.positions = new Map(houses.map((h, i) => [h.number, place(h, i)]));
    this.houses.resize(houses.map((h) => h.number));
    for (const kind of KINDS) {
      const keys = [];
      for (const house of houses) {
        for (const device of this.grid.devicesOf(house, kind)) keys.push(`${house.number}/${kind}/${device.number}`);
      }
      this.devices[kind].resize(keys);
    }
    const spacing = this.grid.spacing;
    const size = Math.ceil(Math.sqrt(Math.max(1, houses.length))) * spacing + spacing;
    this.ground.scale.set(size, size, 1);
    this.labels.sync(houses.map((h) => h.number));
    this.heights = new Map();
    for (const house of houses) this.updateHouse(house.number);
    this.houses.touched();
    for (const kind of KINDS) this.devices[kind].touched();
    // Houses added, removed or moved (or the first ones arrived): the camera fits the layout
    // again, even after the user turned it.
    if (this.placesKey() !== this.framedPlaces || !this.userMoved) this.frame();
  }

  updateHouse(number) {
    const house = this.grid.houses.get(number);
    const at = this.positions.get(number);
    const slot = this.houses.index.get(number);
    if (!house || !at || slot === undefined) return;
    const height = heightOf(house.state);
    this.heights.set(number, height);
    const name = this.grid.places.get(number)?.name || `House ${number}`;
    const offline = isOffline(house.state);
    this.labels.show(number, offline ? `${name} · offline` : name, offline, at.x, height + 3.4, at.z);
    this.matrix.makeScale(FOOTPRINT, height, FOOTPRINT).setPosition(at.x, 0, at.z);
    this.houses.mesh.setMatrixAt(slot, this.matrix);
    this.houses.mesh.setColorAt(slot, houseColour(house.state, this.colour));
    this.grid.devicesOf(house, "consumer").forEach((device, i) => {
      const key = `${number}/consumer/${device.number}`;
      const index = this.devices.consumer.index.get(key);
      if (index === undefined) return;
      const col = i % 4;
      const row = Math.floor(i / 4);
      this.devices.consumer.place(index, at.x - 2.7 + col * 1.8, 0.1, at.z - 2.7 + row * 1.8);
      const on = device.state ? device.state.on : null;
      let colour = on === true ? COLOURS.on : on === false ? COLOURS.off : COLOURS.unknown;
      if (this.pending.has(key)) colour = COLOURS.pending;
      else if (offline || device.state?.online === false) colour = COLOURS.offline;
      this.devices.consumer.paint(index, colour);
    });
    this.grid.devicesOf(house, "supplier").forEach((device, i) => {
      const key = `${number}/supplier/${device.number}`;
      const index = this.devices.supplier.index.get(key);
      if (index === undefined) return;
      const col = i % 2;
      const row = Math.floor(i / 2);
      this.devices.supplier.place(index, at.x - 1.5 + col * 3, height + 0.2, at.z - 2 + row * 2.2, 0.6);
      const on = device.state ? device.state.load_on : null;
      let colour = on === true ? COLOURS.supplyOn : on === false ? COLOURS.supplyOff : COLOURS.unknown;
      if (this.pending.has(key)) colour = COLOURS.pending;
      this.devices.supplier.paint(index, colour);
    });
  }

  update(changes) {
    if (changes.layout) {
      this.layout();
      return;
    }
    if (changes.houses.size === 0) return;
    for (const number of changes.houses) this.updateHouse(number);
    this.houses.touched();
    for (const kind of KINDS) this.devices[kind].touched();
    // A building grew out of the picture: fit again, unless the user moved the camera.
    if (!this.userMoved && this.tallest() > this.framedHeight + 1) this.frame();
  }

  pick(origin, direction) {
    this.raycaster.set(origin, direction);
    const meshes = KINDS.map((kind) => this.devices[kind].mesh).filter(Boolean);
    const hit = this.raycaster.intersectObjects(meshes, false)[0];
    if (!hit || hit.faceIndex === undefined) return;
    for (const kind of KINDS) {
      if (this.devices[kind].mesh === hit.object) {
        const [house, , number] = this.devices[kind].keyOf(hit.faceIndex).split("/");
        this.onPick(Number(house), kind, Number(number));
      }
    }
  }

  listenForPicks() {
    const canvas = this.renderer.domElement;
    let down = null;
    canvas.addEventListener("pointerdown", (e) => (down = { x: e.clientX, y: e.clientY }));
    canvas.addEventListener("pointerup", (e) => {
      if (!down || Math.hypot(e.clientX - down.x, e.clientY - down.y) > 5) return; // a drag
      const box = canvas.getBoundingClientRect();
      const ndc = new THREE.Vector2(((e.clientX - box.left) / box.width) * 2 - 1, -((e.clientY - box.top) / box.height) * 2 + 1);
      this.raycaster.setFromCamera(ndc, this.camera);
      this.pick(this.raycaster.ray.origin.clone(), this.raycaster.ray.direction.clone());
    });
    // VR controllers: the trigger ("select") picks along the controller's ray, like a click.
    for (const i of [0, 1]) {
      const controller = this.renderer.xr.getController(i);
      controller.addEventListener("select", () => {
        const origin = new THREE.Vector3().setFromMatrixPosition(controller.matrixWorld);
        const direction = new THREE.Vector3(0, 0, -1).transformDirection(controller.matrixWorld);
        this.pick(origin, direction);
      });
      const ray = new THREE.Line(
        new THREE.BufferGeometry().setFromPoints([new THREE.Vector3(), new THREE.Vector3(0, 0, -5)]),
        new THREE.LineBasicMaterial({ color: 0xffffff }),
      );
      controller.add(ray);
      this.scene.add(controller);
    }
  }

  // Dynamic resolution: a page rendered on the CPU (no GPU, SwiftShader) or a slow GPU draws
  // fewer pixels rather than fewer frames. Every second the pixel ratio steps down below 30
  // frames a second and back up above 50; a headset's own resolution is left alone.
  adapt(now) {
    if (this.renderer.xr.isPresenting) return;
    if (this.adaptAt === undefined) {
      this.adaptAt = now;
      this.adaptFrames = this.frames;
      return;
    }
    if (now - this.adaptAt < 1000) return;
    const rate = ((this.frames - this.adaptFrames) * 1000) / (now - this.adaptAt);
    this.adaptAt = now;
    this.adaptFrames = this.frames;
    const ratio = this.renderer.getPixelRatio();
    const best = Math.min(1.5, window.devicePixelRatio);
    const next = rate < 30 ? Math.max(0.5, ratio - 0.25) : rate > 50 ? Math.min(best, ratio + 0.25) : ratio;
    if (next !== ratio) {
      this.renderer.setPixelRatio(next);
      this.resize();
    }
  }

  start(beforeFrame) {
    this.renderer.setAnimationLoop((now) => {
      beforeFrame();
      this.controls.update();
      this.renderer.render(this.scene, this.camera);
      this.frames += 1;
      this.adapt(now);
    });
  }
}

// The stand-in when the browser gives no WebGL (disabled, blocked, no GPU support): one line where
// the 3D view would be, and the same frame loop so that the accessible panel goes on updating.
export class NoScene {
  constructor(container, error) {
    this.pending = new Set();
    this.frames = 0;
    const line = document.createElement("p");
    line.id = "scene-unavailable";
    line.className = "bad";
    line.setAttribute("role", "status");
    line.textContent =
      "The 3D view needs WebGL, which this browser does not offer here: the panel lists the " +
      "houses and switches the devices.";
    container.removeAttribute("aria-hidden"); // the line is for every reader
    container.appendChild(line);
    console.warn("Energrid view without 3D:", error);
  }

  vrButton() {
    return document.createTextNode("");
  }

  update() {}

  start(beforeFrame) {
    const frame = () => {
      beforeFrame();
      this.frames += 1;
      requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
  }
}
