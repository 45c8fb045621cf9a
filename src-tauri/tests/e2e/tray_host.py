#!/usr/bin/python3
"""Stands in for a desktop panel in the app's end-to-end tests.

Owns org.kde.StatusNotifierWatcher on the session bus, so the app's tray icon
(libayatana-appindicator) registers with it exactly as with a real panel, then reads and
clicks the icon's menu over com.canonical.dbusmenu.

Protocol: one JSON command per line on stdin, one JSON answer per line on stdout.
  {"cmd": "items"}                 -> {"items": ["<bus name><object path>", ...]}
  {"cmd": "menu"}                  -> {"menu": [{"id", "label", "enabled", "type"}, ...]}
  {"cmd": "click", "label": "..."} -> {"clicked": id}
  {"cmd": "item"}                  -> {"title", "status", "icon"}
  {"cmd": "icon_pixel", "x", "y"}  -> {"rgba": [r, g, b, a]} of the icon as the panel would draw it
Errors come back as {"error": "..."}.
"""

import asyncio
import json
import os
import struct
import sys
import time
import zlib

from dbus_next import BusType, Variant
from dbus_next.aio import MessageBus
from dbus_next.service import ServiceInterface, dbus_property, method, signal, PropertyAccess

WATCHER = "org.kde.StatusNotifierWatcher"
ITEM_IFACE = "org.kde.StatusNotifierItem"
MENU_IFACE = "com.canonical.dbusmenu"


class Watcher(ServiceInterface):
    def __init__(self, bus):
        super().__init__(WATCHER)
        self.bus = bus
        self.items = []  # (bus_name, path)

    @method()
    def RegisterStatusNotifierItem(self, service: "s"):
        # The sender is not passed to dbus-next handlers; appindicator registers its object
        # path, so the sender is found from the last message (see handler below).
        pass

    @method()
    def RegisterStatusNotifierHost(self, service: "s"):
        pass

    @dbus_property(access=PropertyAccess.READ)
    def RegisteredStatusNotifierItems(self) -> "as":
        return [name + path for name, path in self.items]

    @dbus_property(access=PropertyAccess.READ)
    def IsStatusNotifierHostRegistered(self) -> "b":
        return True

    @dbus_property(access=PropertyAccess.READ)
    def ProtocolVersion(self) -> "i":
        return 0

    @signal()
    def StatusNotifierItemRegistered(self, service) -> "s":
        return service

    @signal()
    def StatusNotifierHostRegistered(self):
        return None


def png_pixel(path, x, y):
    """RGBA of one pixel of an 8-bit RGBA PNG (what the tray library writes), no PIL needed."""
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, width, height = 8, b"", 0, 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, color = struct.unpack(">IIBB", chunk[:10])
            assert (depth, color) == (8, 6), f"unsupported PNG depth/colour {depth}/{color}"
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    raw, bpp, stride = zlib.decompress(idat), 4, width * 4
    rows, prev = [], bytearray(stride)
    for r in range(height):
        ftype, line = raw[r * (stride + 1)], bytearray(raw[r * (stride + 1) + 1:(r + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if ftype == 1:
                line[i] = (line[i] + a) & 0xFF
            elif ftype == 2:
                line[i] = (line[i] + b) & 0xFF
            elif ftype == 3:
                line[i] = (line[i] + (a + b) // 2) & 0xFF
            elif ftype == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + pred) & 0xFF
        rows.append(line)
        prev = line
    return list(rows[y][x * 4:x * 4 + 4])


def unwrap(v):
    return v.value if isinstance(v, Variant) else v


async def main():
    bus = await MessageBus(bus_type=BusType.SESSION).connect()
    watcher = Watcher(bus)

    # Catch the sender of RegisterStatusNotifierItem before dbus-next dispatches it.
    def on_message(msg):
        if msg.member == "RegisterStatusNotifierItem" and msg.interface == WATCHER:
            arg = msg.body[0]
            name, path = (msg.sender, arg) if arg.startswith("/") else (arg, "/StatusNotifierItem")
            if (name, path) not in watcher.items:
                watcher.items.append((name, path))
                watcher.StatusNotifierItemRegistered(name + path)
        return None

    bus.add_message_handler(on_message)
    bus.export("/StatusNotifierWatcher", watcher)
    await bus.request_name(WATCHER)
    print(json.dumps({"ready": True}), flush=True)

    async def latest_item():
        if not watcher.items:
            raise RuntimeError("no tray item registered")
        name, path = watcher.items[-1]
        intro = await bus.introspect(name, path)
        obj = bus.get_proxy_object(name, path, intro)
        return name, obj.get_interface("org.freedesktop.DBus.Properties")

    async def menu_iface():
        name, props = await latest_item()
        menu_path = unwrap(await props.call_get(ITEM_IFACE, "Menu"))
        intro = await bus.introspect(name, menu_path)
        return bus.get_proxy_object(name, menu_path, intro).get_interface(MENU_IFACE)

    async def read_menu():
        menu = await menu_iface()
        try:
            await menu.call_about_to_show(0)
        except Exception:
            pass
        _rev, layout = await menu.call_get_layout(0, -1, [])
        out = []
        for child in layout[2]:
            child = unwrap(child)
            cid, props = child[0], {k: unwrap(v) for k, v in child[1].items()}
            if props.get("visible", True) is False:
                continue
            out.append({
                "id": cid,
                "label": props.get("label", ""),
                "enabled": props.get("enabled", True),
                "type": props.get("type", "standard"),
            })
        return menu, out

    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while True:
        line = await reader.readline()
        if not line:
            break
        try:
            req = json.loads(line)
            cmd = req.get("cmd")
            if cmd == "items":
                answer = {"items": [n + p for n, p in watcher.items]}
            elif cmd == "menu":
                _menu, entries = await read_menu()
                answer = {"menu": entries}
            elif cmd == "click":
                menu, entries = await read_menu()
                match = [e for e in entries if e["label"] == req["label"]]
                if not match:
                    raise RuntimeError(f"no menu item {req['label']!r} in {[e['label'] for e in entries]}")
                await menu.call_event(match[0]["id"], "clicked", Variant("i", 0), int(time.time()))
                answer = {"clicked": match[0]["id"]}
            elif cmd == "item":
                _name, props = await latest_item()
                async def get(p):
                    try:
                        return unwrap(await props.call_get(ITEM_IFACE, p))
                    except Exception:
                        return None
                answer = {"title": await get("Title"), "status": await get("Status"),
                          "icon": await get("IconName")}
            elif cmd == "icon_pixel":
                _name, props = await latest_item()
                icon = unwrap(await props.call_get(ITEM_IFACE, "IconName"))
                if not os.path.isabs(icon):
                    theme = unwrap(await props.call_get(ITEM_IFACE, "IconThemePath"))
                    icon = os.path.join(theme, icon + ".png")
                answer = {"rgba": png_pixel(icon, req["x"], req["y"]), "icon": icon}
            else:
                answer = {"error": f"unknown command {cmd!r}"}
        except Exception as e:  # report, keep serving
            answer = {"error": f"{type(e).__name__}: {e}"}
        print(json.dumps(answer), flush=True)


asyncio.run(main())
