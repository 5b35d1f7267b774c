// The mask editor: paint (or erase) where the image should change on the first
// reference image. A round cursor shows the brush size; strokes can be undone and
// redone, the mask inverted or cleared; the overlay is a striped magenta/white (or
// solid cyan) layer that stays visible on any colour. The mask sent is the image's
// size, opaque everywhere except where painted (alpha 0 = "change this", as
// OpenAI's edit API reads masks).

const HISTORY = 40;

function stripes(kind) {
  const tile = document.createElement("canvas");
  tile.width = tile.height = 16;
  const c = tile.getContext("2d");
  if (kind === "solid") {
    c.fillStyle = "rgba(0, 229, 255, 0.62)";
    c.fillRect(0, 0, 16, 16);
    return tile;
  }
  c.fillStyle = "rgba(255, 0, 200, 0.72)";
  c.fillRect(0, 0, 16, 16);
  c.strokeStyle = "rgba(255, 255, 255, 0.85)";
  c.lineWidth = 4;
  c.beginPath();
  for (let o = -16; o <= 32; o += 16) { c.moveTo(o, 16); c.lineTo(o + 16, 0); }
  c.stroke();
  return tile;
}

export class MaskPainter {
  constructor(canvas, cursor) {
    this.canvas = canvas;
    this.cursor = cursor;
    this.ctx = canvas.getContext("2d");
    this.strokes = document.createElement("canvas");
    this.image = null;
    this.brush = 48;        // screen pixels
    this.erase = false;
    this.overlay = "stripes";
    this.last = null;
    this.undoStack = [];
    this.redoStack = [];
    this.onchange = () => {};
    this.zoom = 1;          // 1 = fit the stage; more enlarges the canvas inside a scrolling stage
    this.fitWidth = 0;
    this.panning = false;   // drag moves the view instead of painting
    this.drag = null;
    canvas.addEventListener("pointerdown", (e) => this.down(e));
    canvas.addEventListener("pointermove", (e) => this.move(e));
    canvas.addEventListener("pointerenter", (e) => this.showCursor(e));
    canvas.addEventListener("pointerleave", () => { this.cursor.classList.add("hidden"); this.last = null; });
    for (const type of ["pointerup", "pointercancel"]) canvas.addEventListener(type, () => this.up());
  }

  async load(file) {
    const url = URL.createObjectURL(file);
    const image = new Image();
    image.src = url;
    await image.decode();
    this.image = image;
    for (const c of [this.canvas, this.strokes]) { c.width = image.naturalWidth; c.height = image.naturalHeight; }
    this.undoStack = [];
    this.redoStack = [];
    this.pattern = null;
    this.setZoom(1);
    this.render();
    this.changed();
  }

  // Zoom by enlarging the displayed canvas; the stage scrolls (drag with the pan tool, or scrollbars).
  setZoom(zoom) {
    const stage = this.canvas.parentElement;
    const style = this.canvas.style;
    if (zoom <= 1) {
      this.zoom = 1;
      style.width = "";
      stage.classList.remove("zoomed");
      return;
    }
    if (this.zoom === 1) this.fitWidth = this.canvas.getBoundingClientRect().width || this.canvas.width;
    this.zoom = Math.min(8, zoom);
    stage.classList.add("zoomed");
    style.width = `${Math.round(this.fitWidth * this.zoom)}px`;
  }

  get canUndo() { return this.undoStack.length > 0; }
  get canRedo() { return this.redoStack.length > 0; }

  snapshot() {
    const ctx = this.strokes.getContext("2d");
    return ctx.getImageData(0, 0, this.strokes.width, this.strokes.height);
  }

  remember() {
    this.undoStack.push(this.snapshot());
    if (this.undoStack.length > HISTORY) this.undoStack.shift();
    this.redoStack = [];
  }

  restore(data) {
    this.strokes.getContext("2d").putImageData(data, 0, 0);
    this.render();
    this.changed();
  }

  undo() { if (this.canUndo) { this.redoStack.push(this.snapshot()); this.restore(this.undoStack.pop()); } }
  redo() { if (this.canRedo) { this.undoStack.push(this.snapshot()); this.restore(this.redoStack.pop()); } }

  clear() {
    if (!this.image || !this.painted()) return;
    this.remember();
    this.strokes.getContext("2d").clearRect(0, 0, this.strokes.width, this.strokes.height);
    this.render();
    this.changed();
  }

  invert() {
    if (!this.image) return;
    this.remember();
    const inverted = document.createElement("canvas");
    inverted.width = this.strokes.width;
    inverted.height = this.strokes.height;
    const c = inverted.getContext("2d");
    c.fillStyle = "#000";
    c.fillRect(0, 0, inverted.width, inverted.height);
    c.globalCompositeOperation = "destination-out";
    c.drawImage(this.strokes, 0, 0);
    const s = this.strokes.getContext("2d");
    s.clearRect(0, 0, inverted.width, inverted.height);
    s.drawImage(inverted, 0, 0);
    this.render();
    this.changed();
  }

  setOverlay(kind) { this.overlay = kind; this.pattern = null; this.render(); }

  // Whether any pixel is painted (the painted alpha, sampled on a small copy).
  painted() {
    if (!this.image) return false;
    const w = Math.min(256, this.strokes.width);
    const h = Math.max(1, Math.round((this.strokes.height * w) / this.strokes.width));
    const small = document.createElement("canvas");
    small.width = w;
    small.height = h;
    const c = small.getContext("2d", { willReadFrequently: true });
    c.drawImage(this.strokes, 0, 0, w, h);
    const data = c.getImageData(0, 0, w, h).data;
    for (let i = 3; i < data.length; i += 4) if (data[i] > 8) return true;
    return false;
  }

  changed() { this.onchange(this); }

  point(event) {
    const box = this.canvas.getBoundingClientRect();
    return {
      x: ((event.clientX - box.left) / box.width) * this.canvas.width,
      y: ((event.clientY - box.top) / box.height) * this.canvas.height,
      scale: this.canvas.width / box.width,
    };
  }

  showCursor(event) {
    const host = this.canvas.parentElement;
    const stage = host.getBoundingClientRect();
    const size = this.brush;
    const style = this.cursor.style;
    if (this.panning) { this.cursor.classList.add("hidden"); return; }
    style.width = `${size}px`;
    style.height = `${size}px`;
    style.left = `${event.clientX - stage.left + host.scrollLeft - size / 2}px`;
    style.top = `${event.clientY - stage.top + host.scrollTop - size / 2}px`;
    this.cursor.classList.toggle("erasing", this.erase);
    this.cursor.classList.remove("hidden");
  }

  down(event) {
    if (!this.image || (event.pointerType === "mouse" && event.button !== 0)) return;
    event.preventDefault();
    this.canvas.setPointerCapture(event.pointerId);
    if (this.panning) {
      const host = this.canvas.parentElement;
      this.drag = { x: event.clientX, y: event.clientY, left: host.scrollLeft, top: host.scrollTop };
      return;
    }
    this.remember();
    this.last = this.point(event);
    this.stroke(this.last, this.last);
    this.showCursor(event);
  }

  move(event) {
    this.showCursor(event);
    if (this.drag) {
      const host = this.canvas.parentElement;
      host.scrollLeft = this.drag.left - (event.clientX - this.drag.x);
      host.scrollTop = this.drag.top - (event.clientY - this.drag.y);
      return;
    }
    if (!this.last) return;
    const p = this.point(event);
    this.stroke(this.last, p);
    this.last = p;
  }

  up() {
    this.drag = null;
    if (!this.last) return;
    this.last = null;
    this.changed();
  }

  stroke(from, to) {
    const ctx = this.strokes.getContext("2d");
    ctx.globalCompositeOperation = this.erase ? "destination-out" : "source-over";
    ctx.strokeStyle = "#000";
    ctx.lineWidth = this.brush * to.scale;
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    ctx.beginPath();
    ctx.moveTo(from.x, from.y);
    ctx.lineTo(to.x + 0.01, to.y);
    ctx.stroke();
    this.render();
  }

  render() {
    const { ctx, canvas } = this;
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    if (this.image) ctx.drawImage(this.image, 0, 0);
    const tint = document.createElement("canvas");
    tint.width = canvas.width;
    tint.height = canvas.height;
    const t = tint.getContext("2d");
    t.drawImage(this.strokes, 0, 0);
    t.globalCompositeOperation = "source-in";
    if (!this.pattern) this.pattern = t.createPattern(stripes(this.overlay), "repeat");
    const scale = Math.max(1, canvas.width / 640);  // stripes of a visible width whatever the image size
    t.save();
    t.scale(scale, scale);
    t.fillStyle = this.pattern;
    t.fillRect(0, 0, tint.width / scale, tint.height / scale);
    t.restore();
    ctx.drawImage(tint, 0, 0);
  }

  // The mask PNG, or null when nothing is painted.
  async toBlob() {
    if (!this.painted()) return null;
    const mask = document.createElement("canvas");
    mask.width = this.strokes.width;
    mask.height = this.strokes.height;
    const m = mask.getContext("2d");
    m.fillStyle = "#fff";
    m.fillRect(0, 0, mask.width, mask.height);
    m.globalCompositeOperation = "destination-out";
    m.drawImage(this.strokes, 0, 0);
    return new Promise((resolve) => mask.toBlob(resolve, "image/png"));
  }

  // For a provider without native masks: the image with the painted area outlined in
  // a loud colour, sent as an extra reference the prompt points at.
  async hintBlob() {
    if (!this.painted()) return null;
    const hint = document.createElement("canvas");
    hint.width = this.strokes.width;
    hint.height = this.strokes.height;
    const h = hint.getContext("2d");
    h.drawImage(this.image, 0, 0);
    const tint = document.createElement("canvas");
    tint.width = hint.width;
    tint.height = hint.height;
    const t = tint.getContext("2d");
    t.drawImage(this.strokes, 0, 0);
    t.globalCompositeOperation = "source-in";
    t.fillStyle = "rgba(255, 0, 200, 0.55)";
    t.fillRect(0, 0, tint.width, tint.height);
    h.drawImage(tint, 0, 0);
    return new Promise((resolve) => hint.toBlob(resolve, "image/png"));
  }
}
