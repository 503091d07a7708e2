/** Small pixel operations on 8-bit grayscale rasters (pure TypeScript, no decoding). */

export interface GrayImage {
  data: Uint8Array;
  width: number;
  height: number;
}

/** Nearest-neighbour box downscale by an integer factor (mean of each block). */
export function downscale(img: GrayImage, factor: number): GrayImage {
  const w = Math.max(1, Math.floor(img.width / factor));
  const h = Math.max(1, Math.floor(img.height / factor));
  const out = new Uint8Array(w * h);
  const area = factor * factor;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let sum = 0;
      for (let dy = 0; dy < factor; dy++) {
        const row = (y * factor + dy) * img.width + x * factor;
        for (let dx = 0; dx < factor; dx++) sum += img.data[row + dx] ?? 255;
      }
      out[y * w + x] = Math.round(sum / area);
    }
  }
  return { data: out, width: w, height: h };
}

/** Grayscale erosion (min filter), square window of radius r: the dual of maxFilter. */
export function minFilter(img: GrayImage, r: number): GrayImage {
  const inverted = { ...img, data: img.data.map((v) => 255 - v) };
  const m = maxFilter(inverted, r);
  return { ...m, data: m.data.map((v) => 255 - v) };
}

/** Grayscale dilation (max filter) with a square window of radius r: erases dark strokes. */
export function maxFilter(img: GrayImage, r: number): GrayImage {
  const { width: w, height: h, data } = img;
  const tmp = new Uint8Array(w * h);
  const out = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let m = 0;
      for (let k = Math.max(0, x - r); k <= Math.min(w - 1, x + r); k++) m = Math.max(m, data[y * w + k] ?? 0);
      tmp[y * w + x] = m;
    }
  }
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let m = 0;
      for (let k = Math.max(0, y - r); k <= Math.min(h - 1, y + r); k++) m = Math.max(m, tmp[k * w + x] ?? 0);
      out[y * w + x] = m;
    }
  }
  return { data: out, width: w, height: h };
}

/** Separable box blur, radius r, repeated `passes` times (≈ Gaussian). */
export function boxBlur(img: GrayImage, r: number, passes = 2): GrayImage {
  const { width: w, height: h } = img;
  let src = Float32Array.from(img.data);
  const tmp = new Float32Array(w * h);
  for (let p = 0; p < passes; p++) {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        let s = 0;
        let n = 0;
        for (let k = Math.max(0, x - r); k <= Math.min(w - 1, x + r); k++) {
          s += src[y * w + k] ?? 0;
          n++;
        }
        tmp[y * w + x] = s / n;
      }
    }
    const next = new Float32Array(w * h);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        let s = 0;
        let n = 0;
        for (let k = Math.max(0, y - r); k <= Math.min(h - 1, y + r); k++) {
          s += tmp[k * w + x] ?? 0;
          n++;
        }
        next[y * w + x] = s / n;
      }
    }
    src = next;
  }
  const out = new Uint8Array(w * h);
  for (let i = 0; i < out.length; i++) out[i] = Math.round(src[i] ?? 255);
  return { data: out, width: w, height: h };
}

/** Linear stretch so that the darkest ~0.5 % become black; paper (≥ p99) stays white. */
export function stretchLevels(img: GrayImage): GrayImage {
  const hist = new Uint32Array(256);
  for (const v of img.data) hist[v] = (hist[v] ?? 0) + 1;
  const total = img.data.length;
  let acc = 0;
  let lo = 0;
  for (let v = 0; v < 256; v++) {
    acc += hist[v] ?? 0;
    if (acc >= total * 0.005) {
      lo = v;
      break;
    }
  }
  const hi = 250;
  if (lo >= hi - 40) return img; // blank page: nothing to stretch
  const scale = 255 / (hi - lo);
  const lut = new Uint8Array(256);
  for (let v = 0; v < 256; v++) lut[v] = Math.max(0, Math.min(255, Math.round((v - lo) * scale)));
  const out = new Uint8Array(total);
  for (let i = 0; i < total; i++) out[i] = lut[img.data[i] ?? 255] ?? 255;
  return { data: out, width: img.width, height: img.height };
}

/**
 * Small-tilt estimate (degrees, positive = text rises to the right… as sharp.rotate expects to
 * undo it) by maximising the sharpness of the horizontal projection profile of dark pixels.
 */
export function estimateSkew(img: GrayImage, maxDeg = 6): number {
  const factor = Math.max(1, Math.round(img.width / 700));
  const s = factor > 1 ? downscale(img, factor) : img;
  const xs: number[] = [];
  const ys: number[] = [];
  for (let y = 0; y < s.height; y++) {
    for (let x = 0; x < s.width; x++) {
      if ((s.data[y * s.width + x] ?? 255) < 110) {
        xs.push(x);
        ys.push(y);
      }
    }
  }
  if (xs.length < 200) return 0;
  const cx = s.width / 2;
  const score = (deg: number): number => {
    const t = Math.tan((deg * Math.PI) / 180);
    const bins = new Float64Array(s.height + s.width + 2);
    const off = s.width;
    for (let i = 0; i < xs.length; i++) {
      const yy = Math.round((ys[i] ?? 0) - ((xs[i] ?? 0) - cx) * t) + off;
      if (yy >= 0 && yy < bins.length) bins[yy] = (bins[yy] ?? 0) + 1;
    }
    let sc = 0;
    for (let i = 1; i < bins.length; i++) {
      const d = (bins[i] ?? 0) - (bins[i - 1] ?? 0);
      sc += d * d;
    }
    return sc;
  };
  let best = 0;
  let bestScore = score(0);
  for (let d = -maxDeg; d <= maxDeg + 1e-9; d += 0.5) {
    const sc = score(d);
    if (sc > bestScore) {
      bestScore = sc;
      best = d;
    }
  }
  const coarse = best;
  for (let d = coarse - 0.5; d <= coarse + 0.5 + 1e-9; d += 0.1) {
    const sc = score(d);
    if (sc > bestScore) {
      bestScore = sc;
      best = d;
    }
  }
  return Math.round(best * 10) / 10;
}

/** Binary PGM (P5): a format Leptonica reads without any codec, cheap to produce. */
export function toPgm(img: GrayImage): Buffer {
  const header = Buffer.from(`P5\n${img.width} ${img.height}\n255\n`, 'latin1');
  return Buffer.concat([header, Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength)]);
}

/** Fraction of pixels darker than `threshold` inside a rectangle. */
export function darkFraction(img: GrayImage, x0: number, y0: number, x1: number, y1: number, threshold = 128): number {
  const ax = Math.max(0, Math.floor(x0));
  const ay = Math.max(0, Math.floor(y0));
  const bx = Math.min(img.width, Math.ceil(x1));
  const by = Math.min(img.height, Math.ceil(y1));
  if (bx <= ax || by <= ay) return 0;
  let dark = 0;
  for (let y = ay; y < by; y++) {
    for (let x = ax; x < bx; x++) if ((img.data[y * img.width + x] ?? 255) < threshold) dark++;
  }
  return dark / ((bx - ax) * (by - ay));
}

/**
 * Text-line direction, for pages turned a quarter without EXIF: on a ~600 px binary copy, dark
 * pixels are smeared along x (gaps ≤ 3 px) and along y; words become long horizontal runs on an
 * upright page and long vertical runs on a turned one. Runs longer than a quarter of the page
 * (rulings, page edges, shadows) are left out. Returns horizontal / vertical word-run length
 * (> 1: lines run left to right).
 */
export function lineDirectionRatio(img: GrayImage): number {
  const factor = Math.max(1, Math.round(Math.max(img.width, img.height) / 600));
  const s = factor > 1 ? downscale(img, factor) : img;
  const { width: w, height: h } = s;
  const dark = (x: number, y: number): boolean => (s.data[y * w + x] ?? 255) < 128;
  const gap = 3;
  const minLen = 12;
  const measure = (len: number, count: number, at: (line: number, i: number) => boolean, maxLen: number): number => {
    let total = 0;
    for (let line = 0; line < count; line++) {
      let start = -1;
      let last = -1;
      for (let i = 0; i <= len; i++) {
        const d = i < len && at(line, i);
        if (d) {
          if (start < 0) start = i;
          last = i;
        } else if (start >= 0 && (i - last > gap || i === len)) {
          const l = last - start + 1;
          if (l >= minLen && l <= maxLen) total += l;
          start = -1;
        }
      }
    }
    return total;
  };
  const horiz = measure(w, h, (y, x) => dark(x, y), w / 4);
  const vert = measure(h, w, (x, y) => dark(x, y), h / 4);
  return vert === 0 ? (horiz === 0 ? 1 : 10) : horiz / vert;
}

/** 180° turn of a raster: the pixel order reversed. */
export function rotate180(img: GrayImage): GrayImage {
  const out = new Uint8Array(img.data.length);
  const n = img.data.length;
  for (let i = 0; i < n; i++) out[i] = img.data[n - 1 - i] ?? 255;
  return { data: out, width: img.width, height: img.height };
}

/** Quarter turn clockwise. */
export function rotate90(img: GrayImage): GrayImage {
  const { width: w, height: h, data } = img;
  const out = new Uint8Array(w * h);
  // new (x', y') = old (x = y', y = h - 1 - x'); new width h, new height w.
  for (let y = 0; y < h; y++) {
    const row = y * w;
    const nx = h - 1 - y;
    for (let x = 0; x < w; x++) out[x * h + nx] = data[row + x] ?? 255;
  }
  return { data: out, width: h, height: w };
}
