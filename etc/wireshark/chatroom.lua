-- A Wireshark/tshark dissector for the chatroom protocol (docs/protocol.md;
-- docs/wireshark.md shows how to install and use it).
--
-- Every line on the wire becomes a tree item with chatroom.kind, one of
--   prompt name welcome history online message action join leave rename
--   private_to private_from command error goodbye shutdown
-- and, where they apply, chatroom.sender, chatroom.text, chatroom.command and
-- chatroom.target; chatroom.direction is to_server or to_client, by whether
-- the segment's source port is the server's port. The Info column reads like
-- the chat.
--
-- Framing follows docs/protocol.md §1: CR LF, LF, CR NUL and a lone CR each
-- end a line (a pair split over two segments is one line end), telnet
-- commands (IAC ...) are skipped, and a line split over segments is
-- reassembled. A client that never ends its lines (the course's client
-- sends "soheil", then "hello", each in one send() with no newline) is
-- framed by a pause on the server; a capture shows no pause reliably, so
-- here the heuristic is: while a connection has sent no line ending and no
-- telnet command, each of its segments that holds no line ending is one
-- line (chatroom.unframed is set on it).

local chatroom = Proto("chatroom", "Chatroom chat protocol")

local f = chatroom.fields
f.kind = ProtoField.string("chatroom.kind", "Kind")
f.direction = ProtoField.string("chatroom.direction", "Direction")
f.sender = ProtoField.string("chatroom.sender", "Sender")
f.target = ProtoField.string("chatroom.target", "Target")
f.command = ProtoField.string("chatroom.command", "Command")
f.text = ProtoField.string("chatroom.text", "Text")
f.time = ProtoField.string("chatroom.time", "Time (history)")
f.line = ProtoField.string("chatroom.line", "Line")
f.unframed = ProtoField.bool("chatroom.unframed", "Unframed (a segment without a line ending)")
f.telnet = ProtoField.bytes("chatroom.telnet", "Telnet commands")

chatroom.prefs.tcp_port = Pref.uint("TCP port", 5050, "The chatroom server's TCP port")

local IAC, SB, SE, CR, LF, NUL = 255, 250, 240, 13, 10, 0

-- The server's fixed lines (chat/lines.py).
local PROMPT = "Please enter your name:"
local WELCOME = "Chat with your friends and enjoy"
local SHUTTING_DOWN = "Server is shutting down. Goodbye!"
local HELP_HEADER = "commands:"
local HELP_LAST = "a line that starts with // sends a message that starts with /"
-- A user's name never holds a space or a colon (docs/protocol.md §2).
local NAME = "([^%s:]+)"

-- Per connection, by its two addresses and ports (tcp.stream is no help:
-- tshark -2 and the GUI first read a file without building trees, so no
-- field can be read then): what the dissection so far knows. Every call
-- first saves a copy of it under the frame and tvb it dissects, and a later
-- dissection of that frame (the GUI, tshark -2) starts from that copy, so
-- the tree is the same every time.
local streams = {}
local saved = {}

local function new_state()
    return { awaiting_name = true, prompted = false, name = nil, framed = false,
             last_command = nil, cr_to_server = false, cr_to_client = false }
end

local function copy(state)
    local c = {}
    for k, v in pairs(state) do c[k] = v end
    return c
end

-- A line's text as the server reads it (docs/protocol.md §1): control
-- characters (C0 but TAB, DEL, C1) removed, TAB a space. None of them can
-- reach a terminal that shows tshark's output either.
local function clean(s)
    return (s:gsub("[\0-\8\11-\31\127]", ""):gsub("\194[\128-\159]", ""):gsub("\t", " "))
end

local function trim(s)
    return (s:gsub("^%s+", ""):gsub("%s+$", ""))
end

-- The length of the telnet command at pos, or nil if it is cut off.
local function telnet_length(s, pos)
    local c = s:byte(pos + 1)
    if c == nil then return nil end
    if c >= 251 and c <= 254 then
        return (pos + 2 <= #s) and 3 or nil
    end
    if c ~= SB then return 2 end
    local j = pos + 2
    while j <= #s do
        if s:byte(j) == IAC then
            local n = s:byte(j + 1)
            if n == nil then return nil end
            if n == SE then return j + 2 - pos end
            j = j + 2
        else
            j = j + 1
        end
    end
    return nil
end

-- What a client's line says.
local function client_line(state, text, r)
    local t = trim(text)
    if state.awaiting_name then
        if t:lower() == "/quit" then
            r.kind, r.command = "command", "quit"
        else
            r.kind, r.sender = "name", t
            state.awaiting_name, state.name = false, t
        end
        r.info = t
        return
    end
    r.sender = state.name
    if t:sub(1, 1) == "/" and t:sub(2, 2) ~= "/" then
        local word, rest = t:match("^/(%S*)%s*(.-)$")
        r.kind, r.command, r.info = "command", word:lower(), t
        if r.command == "msg" then
            r.target, r.text = rest:match("^(%S+)%s*(.-)$")
        elseif r.command == "me" then
            r.text = rest
        elseif rest ~= "" then
            r.target = rest
        end
        state.last_command, state.last_argument = r.command, rest
        return
    end
    r.kind, r.text = "message", (t:sub(1, 1) == "/") and t:sub(2) or t
    r.info = state.name and (state.name .. ": " .. r.text) or r.text
end

-- What a server's line says, told apart by its wording (chat/lines.py).
local function server_line(state, line, r)
    r.info = line
    local a, b
    if line == PROMPT then
        -- The first prompt goes out on connect: a client fed from a pipe may
        -- have sent its name before it arrives. Every later one follows a
        -- refused name, and the next line is a name again.
        r.kind = "prompt"
        if state.prompted then state.awaiting_name = true end
        state.prompted = true
    elseif line == WELCOME then
        r.kind = "welcome"
    elseif line == SHUTTING_DOWN then
        r.kind = "shutdown"
    elseif line == "Goodbye!" then
        r.kind = "goodbye"
    elseif line:match("^Goodbye, " .. NAME .. "!$") then
        r.kind, r.target = "goodbye", line:match("^Goodbye, " .. NAME .. "!$")
    elseif line:sub(1, 7) == "error: " then
        r.kind, r.text = "error", line:sub(8)
    elseif line:match("^%[%d%d:%d%d%] ") then
        r.kind, r.time = "history", line:sub(2, 6)
        local rest = line:sub(9)
        a, b = rest:match("^%* " .. NAME .. " (.*)$")
        if not a then a, b = rest:match("^" .. NAME .. ": (.*)$") end
        r.sender, r.text = a, b
    elseif line:match("^%[private to [^%]]+%] ") then
        r.kind = "private_to"
        r.sender, r.target, r.text = state.name, line:match("^%[private to ([^%]]+)%] (.*)$")
    elseif line:match("^%[private%] " .. NAME .. ": ") then
        r.kind = "private_from"
        r.sender, r.text = line:match("^%[private%] " .. NAME .. ": (.*)$")
        r.target = state.name
    elseif line:match("^online %(%d+%): ") then
        r.kind, r.text = "online", line:match("^online %(%d+%): (.*)$")
    elseif line:match("^%* " .. NAME .. " ") then
        r.kind = "action"
        r.sender, r.text = line:match("^%* " .. NAME .. " (.*)$")
    elseif line:match("^" .. NAME .. " is joined to the chatroom!$") then
        r.kind, r.sender = "join", line:match("^" .. NAME .. " is")
    elseif line:match("^" .. NAME .. " has left the chatroom!$") then
        r.kind, r.sender = "leave", line:match("^" .. NAME .. " has")
    elseif line:match("^you are now known as " .. NAME .. "$") then
        r.kind, r.sender = "rename", state.name
        r.target = line:match("^you are now known as " .. NAME .. "$")
        state.name = r.target
    elseif line:match("^" .. NAME .. " is now known as " .. NAME .. "$") then
        r.kind = "rename"
        r.sender, r.target = line:match("^" .. NAME .. " is now known as " .. NAME .. "$")
    elseif line == HELP_HEADER or line == HELP_LAST or line:sub(1, 1) == "/" then
        r.kind, r.command = "command", "help"
    elseif line:match("^ignoring " .. NAME .. "$") then
        r.kind, r.command, r.target = "command", "ignore", line:sub(10)
    elseif line:match("^no longer ignoring " .. NAME .. "$") then
        r.kind, r.command, r.target = "command", "unignore", line:sub(20)
    elseif line == "you ignore nobody"
        or (line:sub(1, 10) == "ignoring: " and state.last_command == "ignore"
            and state.last_argument == "") then
        -- "ignoring: a, b" answers /ignore; from a user named "ignoring"
        -- the same words are a message, told apart by what was asked.
        r.kind, r.command, r.text = "command", "ignore", line:match("^ignoring: (.*)$")
    elseif line:match("^" .. NAME .. ": ") then
        r.kind = "message"
        r.sender, r.text = line:match("^" .. NAME .. ": (.*)$")
    end
end

-- Splits s into lines, as the server does; returns them and where the
-- undissected rest begins (nil when all of s is used).
local function split(s, state, to_server)
    local cr_key = to_server and "cr_to_server" or "cr_to_client"
    local lines, pos = {}, 1
    if state[cr_key] and #s > 0 then
        local first = s:byte(1)
        if first == LF or first == NUL then pos = 2 end
        state[cr_key] = false
    end
    while pos <= #s do
        local start, parts, telnet = pos, {}, false
        local ended = false
        while pos <= #s do
            local b = s:byte(pos)
            if b == IAC then
                local n = telnet_length(s, pos)
                if n == nil then return lines, start end
                telnet, pos = true, pos + n
                if to_server then state.framed = true end
            elseif b == CR or b == LF then
                local after = s:byte(pos + 1)
                if b == CR and (after == LF or after == NUL) then
                    pos = pos + 1
                elseif b == CR and after == nil then
                    state[cr_key] = true
                end
                pos, ended = pos + 1, true
                if to_server then state.framed = true end
                break
            else
                local run_end = s:find("[\255\r\n]", pos) or (#s + 1)
                parts[#parts + 1] = s:sub(pos, run_end - 1)
                pos = run_end
            end
        end
        local data = clean(table.concat(parts))
        if ended then
            lines[#lines + 1] = { first = start, last = pos - 1, data = data }
        elseif data == "" then
            lines[#lines + 1] = { first = start, last = pos - 1, telnet = true }
        elseif to_server and not state.framed and not telnet then
            lines[#lines + 1] = { first = start, last = pos - 1, data = data, unframed = true }
        else
            return lines, start
        end
    end
    return lines, nil
end

local function show(tree, range, direction, r)
    local item = tree:add(chatroom, range)
    item:append_text(", " .. direction .. ", " .. (r.kind or "unknown") .. ": " .. r.info)
    item:add(f.direction, range, direction):set_generated()
    if r.kind then item:add(f.kind, range, r.kind):set_generated() end
    for _, key in ipairs({ "sender", "target", "command", "text", "time" }) do
        if r[key] ~= nil then item:add(f[key], range, r[key]):set_generated() end
    end
    item:add(f.line, range, r.line)
    if r.unframed then item:add(f.unframed, range, true):set_generated() end
end

local function server_port(pinfo)
    local matched = pinfo.match_uint
    if matched ~= nil and matched ~= 0
        and (pinfo.src_port == matched or pinfo.dst_port == matched) then
        return matched
    end
    return chatroom.prefs.tcp_port
end

function chatroom.dissector(tvb, pinfo, tree)
    local to_server = pinfo.src_port ~= server_port(pinfo)
    local direction = to_server and "to_server" or "to_client"
    local source = tostring(pinfo.src) .. "/" .. pinfo.src_port
    local destination = tostring(pinfo.dst) .. "/" .. pinfo.dst_port
    local stream = to_server and (source .. " " .. destination) or (destination .. " " .. source)
    local key = table.concat({ pinfo.number, tvb:offset(), tvb:len() }, ":")
    local state
    if saved[key] then
        state = copy(saved[key])
    else
        streams[stream] = streams[stream] or new_state()
        state = streams[stream]
        saved[key] = copy(state)
    end
    local lines, rest = split(tvb:raw(0, tvb:len()), state, to_server)
    pinfo.cols.protocol = "CHATROOM"
    local shown = tonumber(pinfo.private.chatroom_lines or "0")
    for _, l in ipairs(lines) do
        local range = tvb(l.first - 1, l.last - l.first + 1)
        if l.telnet then
            local item = tree:add(chatroom, range)
            item:append_text(", " .. direction .. ", telnet commands")
            item:add(f.direction, range, direction):set_generated()
            item:add(f.telnet, range)
            if shown == 0 then pinfo.cols.info:set("telnet commands") end
        else
            local r = { line = l.data, unframed = l.unframed }
            if to_server then client_line(state, l.data, r) else server_line(state, l.data, r) end
            show(tree, range, direction, r)
            if shown == 0 then
                pinfo.cols.info:set(r.info)
            else
                pinfo.cols.info:append(" | " .. r.info)
            end
            shown = shown + 1
        end
    end
    pinfo.private.chatroom_lines = tostring(shown)
    if rest then
        pinfo.desegment_offset = rest - 1
        pinfo.desegment_len = DESEGMENT_ONE_MORE_SEGMENT
    end
    return tvb:len()
end

-- Port 5050, or the preference; changing it moves the registration.
local registered_port = 0

local function register()
    local port = chatroom.prefs.tcp_port
    if port == registered_port then return end
    local table_ = DissectorTable.get("tcp.port")
    if registered_port ~= 0 then table_:remove(registered_port, chatroom) end
    if port ~= 0 then table_:add(port, chatroom) end
    registered_port = port
end

function chatroom.prefs_changed()
    register()
end

function chatroom.init()
    streams, saved = {}, {}
end

DissectorTable.get("tcp.port"):add_for_decode_as(chatroom)
register()
