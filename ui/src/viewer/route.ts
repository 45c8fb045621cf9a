// The viewer's routes, in the URL fragment (works the same in the app's window and on the
// server's page): `#/` the list (with its filters), `#/recordings/<uuid>`, `#/shared/<token>`.
export type Route =
  | { view: "list"; query: string }
  | { view: "recording"; id: string }
  | { view: "shared"; token: string };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const TOKEN = /^[A-Za-z0-9_-]{1,100}$/;

export function parseRoute(hash: string): Route {
  const h = hash.replace(/^#/, "");
  const [path, query = ""] = h.split("?", 2);
  const parts = path.split("/").filter(Boolean);
  if (parts[0] === "recordings" && parts[1] && UUID.test(parts[1])) return { view: "recording", id: parts[1].toLowerCase() };
  if (parts[0] === "shared" && parts[1] && TOKEN.test(parts[1])) return { view: "shared", token: parts[1] };
  return { view: "list", query };
}

export function routeHash(r: Route): string {
  switch (r.view) {
    case "recording":
      return `#/recordings/${r.id}`;
    case "shared":
      return `#/shared/${r.token}`;
    case "list":
      return r.query ? `#/?${r.query}` : "#/";
  }
}
