# SPDX-License-Identifier: MIT
# cg_split.awk — self cost (Ir) of a callgrind output file, split by where the code lives.
#
#   awk -v bin=/path/to/server -f bench/cg_split.awk callgrind.out
# (the server's object is recognised by its file name: the last component of bin)
#
# prints one line: server=… lib=… std=… libc=… other=… total=…
#   server  the server's own code (in its binary, not from the files below)
#   lib     the event library: libuv/libevent/libev (.so), cmio (runtime/, generated/ sources
#           linked into the binary), mio (crate sources linked into the binary)
#   std     Rust's std/core/alloc linked into a Rust binary
#   libc    libc.so (system call wrappers, memcpy, malloc, …)
#   other   the dynamic loader, vDSO, valgrind's preload, unknown objects
# Self cost only: the inclusive cost that follows each calls= line is skipped.
function name(kind, rest,    id, n) {
    # "(id) name" defines a compressed name, "(id)" refers to one, "name" is uncompressed
    if (rest ~ /^\([0-9]+\)/) {
        id = substr(rest, 2, index(rest, ")") - 2)
        n = substr(rest, index(rest, ")") + 1)
        sub(/^ /, "", n)
        if (n != "") names[kind, id] = n
        return names[kind, id]
    }
    return rest
}
function category(o, f,    b) {
    b = bin; sub(/.*\//, "", b)
    if (o == bin || o == b || substr(o, length(o) - length(b)) == "/" b) {
        if (f ~ /(^|\/)(runtime|generated)\//) return "lib"
        if (f ~ /(^|\/)mio-[0-9][^\/]*\/src\//) return "lib"
        if (f ~ /(^|\/)library\/(std|core|alloc|panic_[a-z]+)\// || f ~ /\/rustc\//) return "std"
        return "server"
    }
    if (o ~ /\/libc\.so/ || o ~ /\/libc-[0-9.]+\.so/) return "libc"
    if (o ~ /\/lib(uv|event|ev|event_core|event_extra)[-.0-9]*\.so/) return "lib"
    return "other"
}
BEGIN { skip = 0; ob = ""; fl = ""; cur = "" }
/^ob=/ { ob = name("ob", substr($0, 4)); next }
/^fl=/ { fl = name("fl", substr($0, 4)); cur = fl; next }
/^f[ie]=/ { cur = name("fl", substr($0, 4)); next }
/^fn=/ { cur = fl; next }
/^cob=/ { name("ob", substr($0, 5)); next }
/^cf[il]=/ { name("fl", substr($0, 5)); next }
/^cfn=/ { next }
/^calls=/ { skip = 1; next }
/^[0-9+*-]/ {
    if (skip) { skip = 0; next }
    c = $2 + 0
    key = ob SUBSEP cur
    cost[key] += c
    next
}
END {
    for (k in cost) {
        split(k, parts, SUBSEP)
        cat[category(parts[1], parts[2])] += cost[k]
        total += cost[k]
    }
    printf "server=%d lib=%d std=%d libc=%d other=%d total=%d\n", \
        cat["server"], cat["lib"], cat["std"], cat["libc"], cat["other"], total
}
