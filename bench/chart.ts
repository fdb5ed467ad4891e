/** A small dependency-free SVG bar chart: stacked panels of horizontal grouped bars. */

export interface Panel {
  readonly title: string;
  /** One name per bar in a group, e.g. ["no filter", "1% filter"]. */
  readonly series: readonly string[];
  readonly groups: readonly { readonly label: string; readonly values: readonly (number | null)[] }[];
  readonly format: (v: number) => string;
}

const COLORS = ["#3b6fb6", "#e0873a", "#4f9a5b", "#b64b4b"];
const WIDTH = 860;
const LABEL = 210;
const BAR = 14;
const GAP = 6;

const esc = (s: string) => s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");

export function barChart(title: string, subtitle: string, panels: readonly Panel[]): string {
  const parts: string[] = [];
  let y = 66;
  for (const panel of panels) {
    const max = Math.max(...panel.groups.flatMap((g) => g.values.map((v) => v ?? 0)), 1e-9);
    const plot = WIDTH - LABEL - 90;
    parts.push(`<text x="16" y="${y}" font-weight="bold" font-size="14">${esc(panel.title)}</text>`);
    panel.series.forEach((s, k) => {
      const x = WIDTH - 16 - (panel.series.length - k) * 120;
      parts.push(`<rect x="${x}" y="${y - 10}" width="10" height="10" fill="${COLORS[k % COLORS.length]}"/>`);
      parts.push(`<text x="${x + 14}" y="${y}" font-size="11">${esc(s)}</text>`);
    });
    y += 12;
    for (const g of panel.groups) {
      const h = panel.series.length * (BAR + 2);
      parts.push(`<text x="${LABEL - 8}" y="${y + h / 2 + 4}" text-anchor="end" font-size="12">${esc(g.label)}</text>`);
      g.values.forEach((v, k) => {
        const by = y + k * (BAR + 2);
        if (v === null) {
          parts.push(`<text x="${LABEL + 4}" y="${by + BAR - 3}" font-size="11" fill="#777">not supported</text>`);
          return;
        }
        const w = Math.max(1, (v / max) * plot);
        parts.push(
          `<rect x="${LABEL}" y="${by}" width="${w.toFixed(1)}" height="${BAR}" fill="${COLORS[k % COLORS.length]}"/>`,
        );
        parts.push(
          `<text x="${(LABEL + w + 4).toFixed(1)}" y="${by + BAR - 3}" font-size="11">${esc(panel.format(v))}</text>`,
        );
      });
      y += h + GAP;
    }
    y += 22;
  }
  const height = y;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="16" y="22" font-weight="bold" font-size="16">${esc(title)}</text>`,
    `<text x="16" y="38" font-size="11" fill="#555">${esc(subtitle)}</text>`,
    ...parts,
    "</svg>",
  ].join("\n");
}
