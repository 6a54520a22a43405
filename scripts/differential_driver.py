#!/usr/bin/env python3
"""The Python side of the differential suite (test/differential/): runs operation sequences with
CPython's socket module and reports each step's normalised result as one JSON line.

Protocol (JSON lines): it first prints {"hello": {constants}}; then for each input line
{"seq": id, "steps": [...]} it prints {"i": k, "r": result, "ms": duration} per step and
{"done": id} at the end. test/differential/node-runner.ts is the twin that runs the same steps
with bsd-sockets; both must normalise results the same way (see docs/DIFFERENTIAL.md).
"""
import array
import errno
import hashlib
import json
import os
import select
import selectors
import shutil
import socket
import sys
import tempfile
import threading
import time

PREFIXES = ('AF_', 'SOCK_', 'SOL_', 'SO_', 'IPPROTO_', 'IP_', 'IPV6_', 'TCP_', 'UDP_', 'MSG_', 'SHUT_',
            'SCM_', 'AI_', 'NI_', 'EAI_', 'INADDR_', 'ETH_P_', 'PACKET_', 'SOMAXCONN', 'EPOLL')
TMP = tempfile.mkdtemp(prefix='bsdd-py-')
TMPB = os.fsencode(TMP)
ABSTRACT = ('bsdd-py-%d-' % os.getpid()).encode()


def constant(name):
    """A constant of the socket module, or of select (EPOLL*); AttributeError (NoConstant) if neither has it."""
    return getattr(socket, name) if hasattr(socket, name) else getattr(select, name)


def constants():
    out = {}
    for module in (select, socket):
        for name in dir(module):
            if name.startswith(PREFIXES) and isinstance(getattr(module, name), int):
                out[name] = int(getattr(module, name))
    return out


def fnv(data):
    h = 0x811c9dc5
    for b in data:
        h = ((h ^ b) * 0x01000193) & 0xffffffff
    return h


def data_of(spec):
    """n bytes, byte i = (fill + i) & 255 (a repeated 256-byte block: fast for megabytes)."""
    n, fill = spec['n'], spec['fill']
    block = bytes((fill + i) & 255 for i in range(256))
    return (block * (n // 256 + 1))[:n]


def is_utf8(raw):
    try:
        raw.decode('utf-8')
        return True
    except UnicodeDecodeError:
        return False


def enc_bytes(b):
    b = bytes(b)
    if len(b) <= 64:
        return {'b': b.hex()}
    return {'len': len(b), 'fnv': fnv(b)}


def sock_tag(fd):
    """'sock', or what is wrong with the descriptor a call handed out (0, 1, 2: the process's own)."""
    return 'sock' if fd > 2 else 'stdio-fd'


# Module functions whose Python name differs from the contract's (API.md's naming rule).
PY_NAMES = {'gethostbynameEx': 'gethostbyname_ex', 'recvInto': 'recv_into', 'recvfromInto': 'recvfrom_into'}
# Calls that write: in a parallel step, they take the socket's write turn in call order (API.md:
# call order holds per direction), which CPython's threads alone do not promise.
WRITES = {'send', 'sendall', 'sendto', 'sendmsg', 'sendmmsg', 'sendfile', 'sendFds'}


class Seq:
    """One sequence's sockets, named by the generator's ids, and its own temp directory."""

    def __init__(self, seq_id):
        self.socks = {}
        self.dir = os.path.join(TMP, 's%s' % seq_id)
        os.mkdir(self.dir)
        self.abstract = ABSTRACT + str(seq_id).encode() + b'-'
        self.files = 0
        self.write_turns = {}
        self.eps = {}  # epoll objects and selectors (issue 22), by the generator's ids
        self.sels = {}
        self.owned = []  # copies of sockets' descriptors made for close(fd)/dup(fd): (fd, inode), the run's own

    def close(self):
        for k in self.sels.values():
            k.close()
        for ep in self.eps.values():
            ep.close()
        for fd, ino in self.owned:
            try:
                if os.fstat(fd).st_ino == ino:
                    os.close(fd)  # still the copy: the step did not close it
            except OSError:
                pass
        for s in self.socks.values():
            try:
                s.close()
            except OSError:
                pass
        shutil.rmtree(self.dir, ignore_errors=True)

    def sock(self, ident):
        if ident not in self.socks:
            raise LookupError('no socket ' + str(ident))
        return self.socks[ident]

    # --- addresses -----------------------------------------------------------------------------
    def address(self, spec):
        if 'raw' in spec:
            return self.raw(spec['raw'])
        if 'inet' in spec:
            return (spec['inet'], spec['port'])
        if 'portOf' in spec:
            return (spec['host'], self.sock(spec['portOf']).getsockname()[1])
        if 'nameOf' in spec:
            return self.sock(spec['nameOf']).getsockname()
        if 'unix' in spec:
            path = os.path.join(self.dir, spec['unix'])
            if spec['enc'] == 'str':
                return path
            if spec['enc'] == 'bytes':
                return os.fsencode(path)
            return os.fsencode(path) + b'\xff'
        if 'abstract' in spec:
            name = b'\0' + self.abstract + spec['abstract'].encode()
            return name if spec['enc'] == 'bytes' else name.decode()
        if 'packet' in spec:
            return (spec['packet'], spec['proto'])
        raise ValueError('bad address spec')

    def raw(self, value):
        if isinstance(value, list):
            return tuple(self.raw(v) for v in value)
        if isinstance(value, dict) and 'b' in value:
            return bytes.fromhex(value['b'])
        return value

    def norm_address(self, addr):
        if addr is None:
            return None
        if isinstance(addr, tuple):
            if len(addr) >= 2 and isinstance(addr[0], str) and isinstance(addr[1], int) and len(addr) != 5:
                return [addr[0], self.norm_port(addr[1])] + list(addr[2:])
            return [enc_bytes(a) if isinstance(a, bytes) else a for a in addr]
        if isinstance(addr, str):
            # A path that is not UTF-8 comes as a surrogateescape str here, as a Buffer in bsd-sockets.
            raw = os.fsencode(addr)
            return self.norm_path(raw, 'str' if is_utf8(raw) else 'bytes')
        if isinstance(addr, bytes):
            return self.norm_path(addr, 'bytes')
        return repr(addr)

    def norm_path(self, raw, kind):
        if raw.startswith(b'\0' + self.abstract):
            return {kind: '@' + raw[len(self.abstract) + 1:].decode('latin1')}
        if raw.startswith(b'\0') and len(raw) == 6:
            return {kind: '@autobind'}
        if raw.startswith(os.fsencode(self.dir)):
            raw = b'$T' + raw[len(os.fsencode(self.dir)):]
        return {kind: raw.decode('latin1')}

    def norm_port(self, port):
        if port == 0:
            return 0
        for ident, s in self.socks.items():
            try:
                name = s.getsockname()
            except OSError:
                continue
            if isinstance(name, tuple) and len(name) >= 2 and name[1] == port and s.family in (socket.AF_INET, socket.AF_INET6):
                return '@' + ident
        return '@other'

    # --- steps -------------------------------------------------------------------------------
    def run(self, step):
        start = time.monotonic()
        try:
            result = self.execute(step)
        except AttributeError:
            result = {'err': 'NoConstant'}
        except KeyError:
            result = {'err': 'KeyError'}  # selectors: not registered, or registered already
        except LookupError:
            result = {'err': 'NoSocket'}
        except RuntimeError:
            result = {'err': 'RuntimeError'}  # selectors: get_key on a closed selector
        except socket.gaierror as e:
            result = {'err': 'gaierror', 'errno': e.errno, 'isOSError': isinstance(e, OSError)}
        except OSError as e:
            result = {'err': type(e).__name__, 'errno': e.errno,
                      'code': errno.errorcode.get(e.errno) if e.errno else None}
        except (TypeError, ValueError, OverflowError) as e:
            result = {'err': type(e).__name__}
        return result, (time.monotonic() - start) * 1000

    def flags(self, names):
        value = 0
        for name in names or []:
            value |= constant(name)
        return value

    def flags_arg(self, st):
        """The flags argument of a step that may pass None (JS: undefined) instead: undefFlags."""
        return None if st.get('undefFlags') else self.flags(st.get('flags'))

    def execute(self, step):
        op = step['op']
        return getattr(self, 'op_' + op)(step)

    def op_socket(self, st):
        fam = getattr(socket, st['family'])
        typ = getattr(socket, st['type'])
        for flag in st.get('typeFlags', []):
            typ |= getattr(socket, flag)
        proto = st.get('proto', 0)
        if isinstance(proto, str):
            proto = getattr(socket, proto)
        if st.get('htons'):
            proto = socket.htons(proto)
        self.socks[st['as']] = socket.socket(fam, typ, proto)
        return 'sock'

    def op_socketpair(self, st):
        a, b = socket.socketpair(getattr(socket, st['family']), getattr(socket, st['type']))
        self.socks[st['as'][0]] = a
        self.socks[st['as'][1]] = b
        return 'sock'

    def op_bind(self, st):
        self.sock(st['id']).bind(self.address(st['addr']))

    def op_listen(self, st):
        s = self.sock(st['id'])
        if 'backlog' in st:
            s.listen(st['backlog'])
        else:
            s.listen()

    def op_connect(self, st):
        self.sock(st['id']).connect(self.address(st['addr']))

    def op_connectEx(self, st):
        e = self.sock(st['id']).connect_ex(self.address(st['addr']))
        return {'errno': e}

    def op_accept(self, st):
        conn, addr = self.sock(st['id']).accept()
        self.socks[st['as']] = conn
        return [sock_tag(conn.fileno()), self.norm_address(addr)]

    def op_close(self, st):
        self.sock(st['id']).close()

    def op_shutdown(self, st):
        self.sock(st['id']).shutdown(getattr(socket, st['how']))

    def op_dup(self, st):
        self.socks[st['as']] = self.sock(st['id']).dup()
        return 'sock'

    def op_detachFromfd(self, st):
        s = self.sock(st['id'])
        fd = s.detach()
        try:
            args = [getattr(socket, st['family']), getattr(socket, st['type'])] if 'family' in st else [s.family, s.type]
            self.socks[st['as']] = socket.fromfd(fd, *args)
        finally:
            os.close(fd)
        return 'sock'

    def op_mode(self, st):
        s = self.sock(st['id'])
        mode = st['mode']
        if mode == 'blocking':
            s.settimeout(None)
        elif mode == 'nonblocking':
            s.setblocking(False)
        else:
            s.settimeout(st.get('timeout', 0.1))

    def op_settimeout(self, st):
        self.sock(st['id']).settimeout(st['value'])

    def op_gettimeout(self, st):
        return self.sock(st['id']).gettimeout()

    def op_getblocking(self, st):
        return self.sock(st['id']).getblocking()

    def op_fileno(self, st):
        return self.sock(st['id']).fileno() >= 0

    def op_send(self, st):
        return self.sent(self.sock(st['id']).send(data_of(st['data']), self.flags(st.get('flags'))), st['data'])

    def sent(self, n, spec):
        return n if n == spec['n'] or n <= 0 else {'partial': True}

    def op_sendall(self, st):
        self.sock(st['id']).sendall(data_of(st['data']), self.flags(st.get('flags')))

    def op_sendto(self, st):
        s = self.sock(st['id'])
        data = data_of(st['data'])
        addr = self.address(st['addr'])
        if st.get('flags') is None:
            return self.sent(s.sendto(data, addr), st['data'])
        return self.sent(s.sendto(data, self.flags(st['flags']), addr), st['data'])

    def op_recv(self, st):
        return enc_bytes(self.sock(st['id']).recv(st['n'], self.flags(st.get('flags'))))

    def into_buffer(self, st):
        buf = bytearray(b'\xee' * st['size'])
        view = memoryview(buf)[st.get('off', 0):]
        return buf, view

    def into_args(self, st, view):
        args = [view]
        if 'nbytes' in st or st.get('flags'):
            args.append(st.get('nbytes', 0))
        if st.get('flags'):
            args.append(self.flags(st['flags']))
        return args

    def op_recvInto(self, st):
        buf, view = self.into_buffer(st)
        n = self.sock(st['id']).recv_into(*self.into_args(st, view))
        return [n, enc_bytes(buf)]

    def op_recvfrom(self, st):
        data, addr = self.sock(st['id']).recvfrom(st['n'], self.flags(st.get('flags')))
        return [enc_bytes(data), self.norm_address(addr)]

    def op_recvfromInto(self, st):
        buf, view = self.into_buffer(st)
        n, addr = self.sock(st['id']).recvfrom_into(*self.into_args(st, view))
        return [n, self.norm_address(addr), enc_bytes(buf)]

    def op_sendmsg(self, st):
        s = self.sock(st['id'])
        bufs = [data_of(d) for d in st['bufs']]
        anc = [(getattr(socket, a[0]), getattr(socket, a[1]), bytes.fromhex(a[2])) for a in st.get('anc', [])]
        if 'addr' in st:
            n = s.sendmsg(bufs, anc, self.flags(st.get('flags')), self.address(st['addr']))
        else:
            n = s.sendmsg(bufs, anc, self.flags(st.get('flags')))
        return self.sent(n, {'n': sum(d['n'] for d in st['bufs'])})

    def op_recvmsg(self, st):
        data, anc, flags, addr = self.sock(st['id']).recvmsg(st['n'], st.get('anc', 0), self.flags(st.get('flags')))
        return [enc_bytes(data), [[lv, ty, len(d)] for lv, ty, d in anc], flags, self.norm_address(addr)]

    def op_getsockname(self, st):
        return self.norm_address(self.sock(st['id']).getsockname())

    def op_getpeername(self, st):
        return self.norm_address(self.sock(st['id']).getpeername())

    def op_setsockopt(self, st):
        v = st['value']
        value = bytes.fromhex(v['b']) if isinstance(v, dict) else v
        self.sock(st['id']).setsockopt(getattr(socket, st['level']), getattr(socket, st['name']), value)

    def op_getsockopt(self, st):
        s = self.sock(st['id'])
        level, name = getattr(socket, st['level']), getattr(socket, st['name'])
        if 'buflen' not in st:
            v = s.getsockopt(level, name)
            return '<volatile>' if st.get('volatile') else v
        v = s.getsockopt(level, name, st['buflen'])
        if isinstance(v, int):  # buflen 0 is the int form in Python
            return '<volatile>' if st.get('volatile') else v
        return {'len': len(v)} if st.get('volatile') else enc_bytes(v)

    # --- the module functions, explicit None/undefined, and the calls Python has in the socket module
    def value(self, v):
        """A generated argument: {u} is None (undefined in JS), {b} bytes, {c} a constant, {t} a tuple, {buf} a buffer."""
        if isinstance(v, list):
            return [self.value(x) for x in v]
        if isinstance(v, dict):
            if 'u' in v:
                return None
            if 'b' in v:
                return bytes.fromhex(v['b'])
            if 'c' in v:
                return constant(v['c'])
            if 'or' in v:
                return self.flags(v['or'])
            if 't' in v:
                return tuple(self.value(x) for x in v['t'])
            if 'buf' in v:
                return bytearray(b'\xee' * v['buf'])
            if 'addr' in v:
                return self.address(v['addr'])
            if 'fdOf' in v:
                return self.sock(v['fdOf']).fileno()
            if 'sock' in v:
                return self.sock(v['sock'])
            if 'epfd' in v:
                return self.epoll_of(v['epfd']).fileno()
            if 'copyOf' in v:
                return self.owned_copy(v['copyOf'])
            if 'closedFd' in v:
                fd = self.owned_copy(v['closedFd'])
                os.close(fd)  # a number that was the run's own and is closed now (nothing runs in between)
                return fd
        return v

    def owned_copy(self, ident):
        """A copy of a sequence socket's descriptor, made here with dup(2) and closed at the end if the step did not."""
        fd = os.dup(self.sock(ident).fileno())
        self.owned.append((fd, os.fstat(fd).st_ino))
        return fd

    def norm_value(self, v):
        if isinstance(v, bool) or v is None or isinstance(v, float):
            return v
        if isinstance(v, int):
            return int(v)
        if isinstance(v, (bytes, bytearray)):
            return enc_bytes(v)
        if isinstance(v, socket.socket):
            v.close()
            return 'sock'
        if isinstance(v, tuple) and len(v) >= 2 and isinstance(v[0], str) and isinstance(v[1], int) and not isinstance(v[1], bool):
            return self.norm_address(v)
        if isinstance(v, (list, tuple)):
            return [self.norm_value(x) for x in v]
        return v

    def op_fn(self, st):
        fn = getattr(socket, PY_NAMES.get(st['name'], st['name']))
        args = [self.value(a) for a in st['args']]
        try:
            result = fn(*args)
        except AttributeError as e:
            # getfqdn(name) calls name.strip() without a type check: its AttributeError is the TypeError
            raise TypeError(str(e)) from e
        if st['name'] == 'dup':
            return self.new_descriptor(result)
        return self.norm_value(result)

    def new_descriptor(self, fd):
        """dup(fd)'s result: 'fd', closed here (never 0, 1 or 2: the process's own)."""
        if fd > 2:
            os.close(fd)
        return 'fd' if fd > 2 else 'stdio-fd'

    # --- epoll and selectors (issue 22) -----------------------------------------------------------
    def epoll_of(self, ident):
        if ident not in self.eps:
            raise LookupError('no epoll ' + str(ident))
        return self.eps[ident]

    def id_of(self, fd):
        """A descriptor as the id of the sequence socket or epoll object that has it now, else 'other'."""
        for ident, s in self.socks.items():
            if s.fileno() == fd and fd >= 0:
                return ident
        for ident, ep in self.eps.items():
            if not ep.closed and ep.fileno() == fd:
                return ident
        return 'other'

    @staticmethod
    def ready_list(pairs, first):
        """Ready pairs with their descriptors as ids, in a fixed order (the Node side's JSON order)."""
        out = [[first(item), events] for item, events in pairs]
        return sorted(out, key=lambda x: json.dumps(x, separators=(',', ':')))

    def op_epoll(self, st):
        self.eps[st['as']] = select.epoll(*[self.value(a) for a in st['args']])
        return 'epoll'

    def op_epFromfd(self, st):
        """epoll.fromfd of a copy of another epoll object's descriptor: the new object owns the copy."""
        copy = os.dup(self.epoll_of(st['id']).fileno())
        self.eps[st['as']] = select.epoll.fromfd(copy)
        return 'epoll'

    def op_ep(self, st):
        args = [self.value(a) for a in st['args']]
        if st['name'] == 'fromfd':
            select.epoll.fromfd(*args).close()
            return 'epoll'
        ep = self.epoll_of(st['id'])
        if st['name'] == 'closed':
            return ep.closed
        if st['name'] == 'fileno':
            return ep.fileno() >= 0
        if st['name'] == 'poll':
            return self.ready_list(ep.poll(*args), self.id_of)
        return self.norm_value(getattr(ep, st['name'])(*args))

    def op_selector(self, st):
        self.sels[st['as']] = getattr(selectors, st['name'])()
        return 'selector'

    def fileobj_of(self, fileobj):
        """A file object as given: the id of the socket, or {fd: id} for a number."""
        if isinstance(fileobj, int):
            return {'fd': self.id_of(fileobj)}
        for ident, s in self.socks.items():
            if s is fileobj:
                return ident
        return 'unknown'

    def key_of(self, key):
        return [self.fileobj_of(key.fileobj), self.id_of(key.fd), key.events, self.norm_value(key.data)]

    def op_sel(self, st):
        if st['id'] not in self.sels:
            raise LookupError('no selector ' + str(st['id']))
        k = self.sels[st['id']]
        args = [self.value(a) for a in st['args']]
        name = st['name']
        if name == 'select':
            return self.ready_list(k.select(*args), self.key_of)
        if name == 'getMap':
            m = k.get_map()
            return None if m is None else len(m)
        if name == 'fileno':
            return k.fileno() >= 0
        if name == 'close':
            return k.close()
        return self.key_of(getattr(k, {'getKey': 'get_key'}.get(name, name))(*args))

    def op_attr(self, st):
        """A module attribute that is a value (has_ipv6)."""
        return getattr(socket, st['name'])

    def op_method(self, st):
        s = self.sock(st['id'])
        args = [self.value(a) for a in st['args']]
        result = getattr(s, PY_NAMES.get(st['name'], st['name']))(*args)
        return self.norm_value([result] + [a for a in args if isinstance(a, bytearray)])

    def write_file(self, spec):
        path = os.path.join(self.dir, 'file%d' % self.files)
        self.files += 1
        with open(path, 'wb') as f:
            f.write(data_of(spec))
        return path

    def op_sendfile(self, st):
        """[bytes sent, the 4 bytes at the file's position afterwards] (socket.sendfile seeks there)."""
        s = self.sock(st['id'])
        with open(self.write_file(st['file']), 'rb') as f:
            n = s.sendfile(f, st.get('offset', 0), st.get('count'))
            return [n, f.read(4).hex()]

    def op_sendFds(self, st):
        s = self.sock(st['id'])
        fds = [os.open(os.devnull, os.O_RDONLY) for _ in range(st['nfds'])]
        try:
            # socket.send_fds as documented; CPython 3.11's own drops its flags and address arguments
            args = [[data_of(d) for d in st['bufs']], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array('i', fds))],
                    self.flags_arg(st)]
            if 'addr' in st:
                args.append(self.address(st['addr']))
            return self.sent(s.sendmsg(*args), {'n': sum(d['n'] for d in st['bufs'])})
        finally:
            for fd in fds:
                os.close(fd)

    def op_recvFds(self, st):
        # socket.recv_fds as documented (CPython 3.11's own drops its flags argument)
        data, anc, flags, addr = self.sock(st['id']).recvmsg(st['n'], socket.CMSG_LEN(st['maxfds'] * 4), self.flags_arg(st))
        fds = array.array('i')
        for level, kind, item in anc:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                fds.frombytes(item[:len(item) - len(item) % 4])
        above = all(fd > 2 for fd in fds)
        for fd in fds:
            os.close(fd)
        return [enc_bytes(data), len(fds), above, flags, self.norm_address(addr)]

    def op_sendmmsg(self, st):
        """sendmmsg(2) as repeated sendto: the count sent, or the first message's error."""
        s = self.sock(st['id'])
        addr = self.address(st['addr']) if 'addr' in st else None  # an argument's value, made before the call
        flags = self.flags_arg(st)
        if flags is None:
            raise TypeError('flags')  # as a binding parses its arguments before the loop
        count = 0
        for d in st['msgs']:
            try:
                if addr is None:
                    s.send(data_of(d), flags)
                else:
                    s.sendto(data_of(d), flags, addr)
            except OSError:
                if count == 0:
                    raise
                break
            count += 1
        return count

    def op_recvmmsg(self, st):
        """recvmmsg(2) with MSG_WAITFORONE as repeated recvmsg: the first waits as the mode says, the rest never."""
        s = self.sock(st['id'])
        flags = self.flags_arg(st)
        if isinstance(flags, int) and not flags & socket.MSG_ERRQUEUE:
            # as the kernel's recvmmsg does before it receives anything: a pending error first (sock_error)
            pending = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if pending:
                raise OSError(pending, os.strerror(pending))
        out, bufs = [], []
        for k, size in enumerate(st['sizes']):
            buf = bytearray(b'\xee' * size)
            try:
                n, _, msg_flags, addr = self.recv_one(s, buf, flags, k > 0)
            except OSError:
                if k == 0:
                    raise
                break
            if n == 0 and size > 0 and s.type == socket.SOCK_STREAM:
                break  # end of input: no message
            out.append([n, self.norm_address(addr), msg_flags])
            bufs.append(enc_bytes(buf))
        return [out, bufs]

    def recv_one(self, s, buf, flags, never_wait):
        if not never_wait:
            return s.recvmsg_into([buf], 0, flags)
        timeout = s.gettimeout()  # flags is an int here: None failed on the first message
        s.setblocking(False)  # CPython would poll first with a timeout, even given MSG_DONTWAIT
        try:
            return s.recvmsg_into([buf], 0, flags)
        finally:
            s.settimeout(timeout)

    def op_recvAll(self, st):
        """Receives until n bytes or the end of the stream: their length and SHA-1."""
        s = self.sock(st['id'])
        digest, got = hashlib.sha1(), 0
        while got < st['n']:
            b = s.recv(min(65536, st['n'] - got))
            if not b:
                break
            digest.update(b)
            got += len(b)
        return {'len': got, 'sha1': digest.hexdigest()}

    def op_sleep(self, st):
        time.sleep(st['ms'] / 1000)

    def op_parallel(self, st):
        results = [None] * len(st['steps'])

        def worker(k, sub, before, done):
            if before is not None:
                before.wait()  # the socket's earlier write, in call order however the threads are scheduled
            try:
                results[k] = self.run(sub)
            finally:
                if done is not None:
                    done.set()

        def turn(sub):
            """The write before this one on its socket (an Event to wait for), and this one's."""
            if sub['op'] not in WRITES:
                return None, None
            done = threading.Event()
            before = self.write_turns.get(sub['id'])
            self.write_turns[sub['id']] = done
            return before, done

        threads = [threading.Thread(target=worker, args=(k, sub, *turn(sub))) for k, sub in enumerate(st['steps'])]
        for t in threads:
            t.start()
            time.sleep(0.005)  # start order = queue order, as the Node side starts them in order
        for t in threads:
            t.join()
        return [{'r': r, 'ms': round(ms, 1)} for r, ms in results]


def main():
    out = sys.stdout
    out.write(json.dumps({'hello': constants()}) + '\n')
    out.flush()
    for line in sys.stdin:
        request = json.loads(line)
        seq = Seq(request['seq'])
        try:
            for k, step in enumerate(request['steps']):
                result, ms = seq.run(step)
                out.write(json.dumps({'i': k, 'r': result, 'ms': round(ms, 1)}) + '\n')
                out.flush()
        finally:
            seq.close()
        out.write(json.dumps({'done': request['seq']}) + '\n')
        out.flush()
    shutil.rmtree(TMP, ignore_errors=True)


if __name__ == '__main__':
    main()
