// Numbers and times the way people read them.

export function duration(ms: number | null | undefined): string {
  if (ms == null || !Number.isFinite(ms)) return "–";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.round(s % 60)} s`;
  const h = Math.floor(m / 60);
  return h < 48 ? `${h} h ${m % 60} min` : `${Math.floor(h / 24)} d ${h % 24} h`;
}

export function percent(rate: number | null | undefined): string {
  return rate == null ? "–" : `${(rate * 100).toFixed(rate >= 0.995 || rate === 0 ? 0 : 1)}%`;
}

// one formatter for every date: toLocaleString with options builds a new Intl.DateTimeFormat per
// call (~0.1 ms each), which was the largest single cost of drawing 1,000 task rows
const DATE_TIME = new Intl.DateTimeFormat(undefined, { year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", second: "2-digit" });

export function dateTime(iso: string | null | undefined): string {
  if (!iso) return "–";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : DATE_TIME.format(d);
}

/** "in 5 min", "3 h ago" */
export function relative(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return "–";
  const diff = new Date(iso).getTime() - now;
  const text = duration(Math.abs(diff)).replace(/ \d+ (s|min)$/, "");
  return diff >= 0 ? `in ${text}` : `${text} ago`;
}

/** time left from progress so far: elapsed × (1 − p) / p */
export function eta(startedAt: string | null | undefined, progress: number | null | undefined, now = Date.now()): string {
  if (!startedAt || !progress || progress <= 0) return "–";
  if (progress >= 1) return "done";
  const elapsed = now - new Date(startedAt).getTime();
  return duration((elapsed * (1 - progress)) / progress);
}

const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

function describeDays(dow: string): string | null {
  if (dow === "*") return "every day";
  if (dow === "1-5") return "on weekdays";
  if (dow === "0,6" || dow === "6,0") return "on weekends";
  const names = dow.split(",").map((d) => (/^\d$/.test(d) ? DAYS[Number(d) % 7] : null));
  return names.every(Boolean) ? `on ${names.join(", ")}` : null;
}

const pad = (n: string) => n.padStart(2, "0");

/**
 * A schedule in words for the common shapes ("every 5 minutes", "at 18:00 on weekdays (Asia/Shanghai)");
 * anything else is shown as the cron expression itself.
 */
export function scheduleInWords(s: { cron?: string | null; intervalSeconds?: number | null; runAt?: string | null; timezone: string } | null | undefined): string {
  if (!s) return "manual only";
  const tz = s.timezone === "UTC" ? "UTC" : s.timezone;
  if (s.intervalSeconds) {
    const n = s.intervalSeconds;
    if (n % 86400 === 0) return `every ${n / 86400 === 1 ? "day" : `${n / 86400} days`}`;
    if (n % 3600 === 0) return `every ${n / 3600 === 1 ? "hour" : `${n / 3600} hours`}`;
    if (n % 60 === 0) return `every ${n / 60 === 1 ? "minute" : `${n / 60} minutes`}`;
    return `every ${n} seconds`;
  }
  if (s.runAt) return `once, ${dateTime(s.runAt)}`;
  if (!s.cron) return "manual only";
  const fields = s.cron.trim().split(/\s+/);
  const [min, hour, dom, mon, dow] = fields.length === 6 ? fields.slice(1) : fields;
  if (fields.length === 6 && fields[0] !== "0") return `cron ${s.cron} (${tz})`;
  if (dom !== "*" || mon !== "*") return `cron ${s.cron} (${tz})`;
  const days = describeDays(dow!);
  if (!days) return `cron ${s.cron} (${tz})`;
  const step = /^\*\/(\d+)$/.exec(min!);
  if (step && hour === "*") return `every ${step[1]} minutes${days === "every day" ? "" : ` ${days}`}`;
  if (min === "*" && hour === "*") return `every minute${days === "every day" ? "" : ` ${days}`}`;
  if (/^\d+$/.test(min!) && hour === "*") return `hourly at :${pad(min!)}${days === "every day" ? "" : ` ${days}`}`;
  if (/^\d+$/.test(min!) && /^\d+$/.test(hour!)) return `at ${pad(hour!)}:${pad(min!)} ${days} (${tz})`;
  return `cron ${s.cron} (${tz})`;
}
