// Only needed when running Fedify >= 1.6 on Node 20 (run.sh adds it via
// `node --import` when the selected node is older than 22).
if (typeof ArrayBuffer.prototype.transfer !== "function") {
  Object.defineProperty(ArrayBuffer.prototype, "transfer", {
    configurable: true,
    writable: true,
    value: function transfer(newLength = this.byteLength) {
      const copy = new ArrayBuffer(newLength);
      new Uint8Array(copy).set(new Uint8Array(this, 0, Math.min(newLength, this.byteLength)));
      structuredClone(this, { transfer: [this] }); // detach the original
      return copy;
    },
  });
}
