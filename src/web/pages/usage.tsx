import { useState } from "preact/hooks";
import { api, download, type Totals } from "../api";
import { Loading, useLoad } from "../ui";
import { Chart } from "./charts";

interface Group extends Totals {
  day?: string;
  model?: string;
}

interface Report {
  totals: Totals;
  groups?: Group[];
}

const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const seconds = (d: string) => Date.parse(`${d}T00:00:00Z`) / 1000;
const COLUMNS = ["requests", "input_tokens", "output_tokens", "cost_usd", "errors"] as const;

/** Rows as CSV; every cell is a date, a model id or a number, quoted anyway. */
function toCsv(first: string, rows: Group[]): string {
  const cell = (v: unknown) => `"${String(v ?? "").replace(/"/g, '""')}"`;
  return (
    [
      [first, ...COLUMNS].join(","),
      ...rows.map((r) => [r[first as "day" | "model"], ...COLUMNS.map((c) => r[c])].map(cell).join(",")),
    ].join("\n") + "\n"
  );
}

/** Usage per day and per model over a range, drawn from `/account/usage`. */
export function Usage() {
  const today = Date.now();
  const [range, setRange] = useState({ from: isoDay(today - 29 * 86_400_000), to: isoDay(today) });
  const query = `from=${range.from}&to=${range.to}`;
  const byDay = useLoad(() => api<Report>("GET", `/account/usage?${query}&group_by=day`), [query]);
  const byModel = useLoad(() => api<Report>("GET", `/account/usage?${query}&group_by=model`), [query]);
  return (
    <>
      <form class="range" onSubmit={(e) => e.preventDefault()} aria-label="Range">
        <label>
          From
          <input
            type="date"
            name="from"
            value={range.from}
            onChange={(e) => setRange({ ...range, from: e.currentTarget.value })}
          />
        </label>
        <label>
          To
          <input
            type="date"
            name="to"
            value={range.to}
            onChange={(e) => setRange({ ...range, to: e.currentTarget.value })}
          />
        </label>
      </form>
      {!byDay.data || !byModel.data ? (
        <Loading error={byDay.error ?? byModel.error} />
      ) : (
        <UsageReport days={byDay.data} models={byModel.data} range={range} />
      )}
    </>
  );
}

function UsageReport({ days, models, range }: { days: Report; models: Report; range: { from: string; to: string } }) {
  const d = days.groups ?? [];
  const m = models.groups ?? [];
  const x = d.map((g) => seconds(g.day!));
  // Half a day either side, so a single day is a point in the middle rather than a range of years.
  const xRange: [number, number] = [seconds(range.from) - 43_200, seconds(range.to) + 43_200];
  return (
    <>
      <p>
        {days.totals.requests} requests, {days.totals.input_tokens} input and {days.totals.output_tokens} output tokens,
        ${days.totals.cost_usd} from {range.from} to {range.to}.
      </p>
      <h2>Per day</h2>
      {d.length ? (
        <div class="charts">
          <Chart
            title="Requests per day"
            x={x}
            range={xRange}
            series={[{ label: "requests", values: d.map((g) => g.requests) }]}
          />
          <Chart
            title="Tokens per day"
            x={x}
            range={xRange}
            series={[
              { label: "input tokens", values: d.map((g) => g.input_tokens) },
              { label: "output tokens", values: d.map((g) => g.output_tokens) },
            ]}
          />
          <Chart
            title="Cost per day (USD)"
            x={x}
            range={xRange}
            format={(n) => `$${n.toPrecision(2)}`}
            series={[{ label: "cost (USD)", values: d.map((g) => Number(g.cost_usd)) }]}
          />
        </div>
      ) : (
        <p>No usage in this range.</p>
      )}
      <button
        type="button"
        onClick={() => download(`kriora-usage-by-day-${range.from}-${range.to}.csv`, "text/csv", toCsv("day", d))}
      >
        Download per-day CSV
      </button>
      <h2>Per model</h2>
      {m.length ? (
        <Chart
          title="Requests per model"
          x={m.map((_, i) => i)}
          categories={m.map((g) => g.model!)}
          series={[{ label: "requests", values: m.map((g) => g.requests) }]}
        />
      ) : null}
      <table>
        <caption>Usage per model</caption>
        <thead>
          <tr>
            <th scope="col">Model</th>
            {COLUMNS.map((c) => (
              <th scope="col" key={c}>
                {c.replace(/_/g, " ")}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {m.map((g) => (
            <tr key={g.model}>
              <td>{g.model}</td>
              {COLUMNS.map((c) => (
                <td key={c}>{g[c]}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      <button
        type="button"
        onClick={() => download(`kriora-usage-by-model-${range.from}-${range.to}.csv`, "text/csv", toCsv("model", m))}
      >
        Download per-model CSV
      </button>
    </>
  );
}
