// Painting an edit mask in the browser. The first reference image is drawn on a
// canvas at its natural size; strokes are kept on a second canvas of the same size.
// The mask sent to the gateway is the image's size, opaque everywhere except where
// the user painted (alpha 0 = "change this", as OpenAI's edit API reads masks).

export class MaskPainter {
  constructor(canvas) {
    this.canvas = canvas;
    this.ctx = canvas.getContext("2d");
    this.strokes = document.createElement("canvas");
    this.image = null;
    this.brush = 40;
    this.erase = false;
    this.painted = false;
    this.last = null;
    canvas.addEventListener("pointerdown", (e) => this.down(e));
    canvas.addEventListener("pointermove", (e) => this.move(e));
    for (const type of ["pointerup", "pointercancel", "pointerleave"]) canvas.addEventListener(type, () => { this.last = null; });
  }

  async load(file) {
    const url = URL.createObjectURL(file);
    const image = new Image();
    image.src = url;
    await image.decode();
    this.image = image;
    for (const c of [this.canvas, this.strokes]) { c.width = image.naturalWidth; c.height = image.naturalHeight; }
    this.painted = false;
    this.render();
  }

  clear() {
    this.strokes.getContext("2d").clearRect(0, 0, this.strokes.width, this.strokes.height);
    this.painted = false;
    this.render();
  }

  point(event) {
    const box = this.canvas.getBoundingClientRect();
    return {
      x: ((event.clientX - box.left) / box.width) * this.canvas.width,
      y: ((event.clientY - box.top) / box.height) * this.canvas.height,
      scale: this.canvas.width / box.width,
    };
  }

  down(event) {
    if (!this.image) return;
    this.canvas.setPointerCapture(event.pointerId);
    this.last = this.point(event);
    this.stroke(this.last, this.last);
  }

  move(event) {
    if (!this.last) return;
    const p = this.point(event);
    this.stroke(this.last, p);
    this.last = p;
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
    if (!this.erase) this.painted = true;
    this.render();
  }

  render() {
    const { ctx, canvas } = this;
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    if (this.image) ctx.drawImage(this.image, 0, 0);
    // Painted area shown as a translucent red overlay.
    const tint = document.createElement("canvas");
    tint.width = canvas.width;
    tint.height = canvas.height;
    const t = tint.getContext("2d");
    t.drawImage(this.strokes, 0, 0);
    t.globalCompositeOperation = "source-in";
    t.fillStyle = "rgba(230, 40, 60, 0.5)";
    t.fillRect(0, 0, tint.width, tint.height);
    ctx.drawImage(tint, 0, 0);
  }

  // The mask PNG, or null when nothing was painted.
  async toBlob() {
    if (!this.image || !this.painted) return null;
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
}
