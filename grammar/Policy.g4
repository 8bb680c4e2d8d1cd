// SPDX-License-Identifier: Apache-2.0
// The policy language: one `container NAME { ... }` or a bare `seccomp default ACTION { ... }`.
//
// Design choices (they shape the error messages, see compiler/parse/parse.cc):
//   - Every statement starts with a keyword, so statements need no separator and newlines are
//     plain whitespace.
//   - Enumerated values (mount kinds, namespace names, network modes, limit keys, capability
//     and rlimit names) are plain words here, not keywords: the AST builder and the checks
//     validate them, which gives "expected a mount kind (proc, ...), found \"procc\"" with a
//     did-you-mean instead of a generic "no viable alternative".
//   - Keywords that are also syscall names (mount, chroot, seccomp, ...) are accepted as names
//     inside the seccomp block through `syscallName`; only the words that start a seccomp
//     statement (allow, errno, kill_thread, ..., group, include, arch, expect, if) are reserved there.
grammar Policy;

policyFile
  : (container | seccompBlock) EOF
  ;

// ---- container ------------------------------------------------------------------------

container
  : CONTAINER containerName LBRACE containerStatement* RBRACE
  ;

containerName
  : word | STRING
  ;

containerStatement
  : rootfsStmt
  | namespacesStmt
  | hostnameStmt
  | mountStmt
  | maskStmt
  | readonlyStmt
  | deviceStmt
  | networkStmt
  | limitsStmt
  | capabilitiesStmt
  | rlimitStmt
  | userStmt
  | uidmapStmt
  | gidmapStmt
  | envStmt
  | cwdStmt
  | commandStmt
  | initStmt
  | landlockStmt
  | seccompBlock
  ;

rootfsStmt
  : ROOTFS ARCHIVE? path rootfsOption*
  ;

rootfsOption
  : READONLY | CHROOT | WRITETHROUGH
  ;

// Namespace names are keywords so a misspelled one, or a misspelled section after the list,
// is a syntax error with a did-you-mean rather than a namespace the list swallowed.
namespacesStmt
  : NAMESPACES namespaceName+
  ;

namespaceName
  : MOUNT | PID | IPC | UTS | NET | USER | CGROUP | TIME
  ;

hostnameStmt
  : HOSTNAME (STRING | word)
  ;

// mount proc at /proc | mount tmpfs at /tmp size 64M mode 1777 | mount bind "/src" at /dst readonly
mountStmt
  : MOUNT mountKind=word (source=path)? AT target=path mountOption*
  ;

mountOption
  : SIZE sizeValue                       # mountSize
  | MODE NUMBER                          # mountMode
  | READONLY                             # mountReadonly
  | READWRITE                            # mountReadwrite
  ;

maskStmt
  : MASK path+
  ;

readonlyStmt
  : READONLY path+
  ;

// device /dev/fuse /dev/net/tun: host device nodes granted by name, beyond the minimal /dev
deviceStmt
  : DEVICE path+
  ;

// network none | loopback | host | veth { ... } | user { ... } | join "/run/netns/NAME" | join pid 1234
networkStmt
  : NETWORK netMode=word (vethBlock | joinTarget)?
  ;

joinTarget
  : PID NUMBER                           # joinPid
  | path                                 # joinPath
  ;

vethBlock
  : LBRACE vethEntry* RBRACE
  ;

vethEntry
  : HOST address                         # vethHost
  | CONTAINER address                    # vethContainer
  | GATEWAY (HOST | address)             # vethGateway
  | MTU NUMBER                           # vethMtu
  | HOST_NAME (STRING | word)            # vethHostName
  | CONTAINER_NAME (STRING | word)       # vethContainerName
  | PUBLISH proto=(ID | TCP | UDP)? portPiece+  # vethPublish
  | OUTBOUND how=ID?                     # vethOutbound
  | DNS (HOST | address)                 # vethDns
  ;

// A port mapping is one run of adjacent tokens, re-joined by the AST builder and parsed there:
// 8080:80, 5353, 127.0.0.1:8080:80, [::1]:8080:80 (the lexer cuts these in odd places, e.g.
// ":8080:80" lexes as an IPv6 address), or the same in quotes.
portPiece
  : NUMBER | ADDRESS | ADDRESS6 | COLON | LBRACK | RBRACK | STRING
  ;

address
  : ADDRESS | ADDRESS6 | STRING
  ;

// limits { memory 250M swap 0 cpu 0.5 cpu 20ms/100ms cpuset "0-1" best_effort parent "x" }
limitsStmt
  : LIMITS LBRACE limitEntry* RBRACE
  ;

limitEntry
  : key=ID limitValue*
  ;

limitValue
  : NUMBER | QUANTITY | RATIO | STRING
  ;

capabilitiesStmt
  : CAPABILITIES KEEP ID+
  ;

// rlimit nofile 1024 [2048]; values may also be `unlimited`.
rlimitStmt
  : RLIMIT resource=ID soft=rlimitValue hard=rlimitValue?
  ;

rlimitValue
  : NUMBER | QUANTITY | ID
  ;

// user 1000:1000 groups 10 20
userStmt
  : USER uid=NUMBER (COLON gid=NUMBER)? (GROUPS NUMBER+)?
  ;

uidmapStmt
  : UIDMAP idMapping
  ;

gidmapStmt
  : GIDMAP idMapping
  ;

idMapping
  : inside=NUMBER outside=NUMBER count=NUMBER
  ;

envStmt
  : ENV envPair+
  ;

envPair
  : key=word ASSIGN (STRING | word | NUMBER | PATH)
  ;

cwdStmt
  : CWD path
  ;

commandStmt
  : COMMAND (STRING | PATH)+
  ;

// init minimal (the default: plan-exec's init is pid 1, the command its child) | init none
// (the command is an init of its own and becomes pid 1)
initStmt
  : INIT word
  ;

// landlock { read /usr /lib  write /tmp  execute /usr/bin/python3  bind tcp 8080
//            connect tcp 443  scope signals abstract_unix  best_effort }
// The right (or `scope`, `best_effort`) is a plain name, so the checks can suggest the closest
// one for a typo; the values are never plain names (paths, numbers, and the keywords tcp, udp,
// signals, abstract_unix), so each entry ends where the next name starts.
landlockStmt
  : LANDLOCK LBRACE landlockEntry* RBRACE
  ;

landlockEntry
  : key=ID landlockValue*
  ;

landlockValue
  : STRING | PATH | RELPATH | NUMBER | TCP | UDP | SIGNALS | ABSTRACT_UNIX
  ;

sizeValue
  : NUMBER | QUANTITY
  ;

// A path: "/quoted", /bare, or (so the checks can say "must be absolute") a relative one.
path
  : STRING | PATH | RELPATH | ID
  ;

// ---- seccomp ----------------------------------------------------------------------------

seccompBlock
  : SECCOMP DEFAULT action LBRACE seccompStatement* RBRACE
  ;

action
  : ALLOW                                      # actAllow
  | ERRNO LPAREN (ID | NUMBER) RPAREN          # actErrno
  | KILL_THREAD                                # actKillThread
  | KILL_PROCESS                               # actKillProcess
  | TRAP (LPAREN NUMBER RPAREN)?               # actTrap
  | LOG                                        # actLog
  | TRACE LPAREN NUMBER RPAREN                 # actTrace
  | NOTIFY                                     # actNotify
  ;

seccompStatement
  : ARCH ID+ (OTHERWISE action)?               # archStmt
  | INCLUDE STRING                             # includeStmt
  | GROUP GROUP_NAME ASSIGN syscallName+       # groupStmt
  | action syscallName+ (IF condition)?        # ruleStmt
  | EXPECT expectVerdict syscallName expectArgs?  # expectStmt
  ;

// `expect kill ptrace`: kill is a syscall name, so that verdict is a plain word (ID).
expectVerdict
  : action | ID
  ;

// (AF_NETLINK, ...) | (3, 0) | (...) | (): arguments not written may take any value.
expectArgs
  : LPAREN (value (COMMA value)* (COMMA ELLIPSIS)? | ELLIPSIS)? RPAREN
  ;

// A syscall or group name, or a syscall number (x86_64's). Keywords that are syscall names
// (mount, chroot, seccomp, ...) are names here; the words that start a seccomp statement cannot be.
syscallName
  : ID | GROUP_NAME | NUMBER | containerKeyword
  ;

containerKeyword
  : CONTAINER | ROOTFS | ARCHIVE | READONLY | READWRITE | CHROOT | WRITETHROUGH | NAMESPACES | HOSTNAME
  | MOUNT | AT | SIZE | MODE | MASK | NETWORK | HOST | GATEWAY | MTU | HOST_NAME
  | CONTAINER_NAME | LIMITS | CAPABILITIES | KEEP | RLIMIT | USER | GROUPS | UIDMAP | GIDMAP
  | ENV | CWD | COMMAND | SECCOMP | DEFAULT | U32 | PID | IPC | UTS | NET | CGROUP | TIME
  | DEVICE | OTHERWISE | INIT | PUBLISH | OUTBOUND | DNS | LANDLOCK | TCP | UDP | SIGNALS | ABSTRACT_UNIX
  ;

// || binds loosest, then &&, then !.
condition
  : NOT condition                              # notCond
  | condition AND condition                    # andCond
  | condition OR condition                     # orCond
  | LPAREN condition RPAREN                    # parenCond
  | comparison                                 # cmpCond
  ;

comparison
  : argRef cmpOp value                                   # plainCmp
  | LPAREN argRef AMP mask=value RPAREN cmpOp value      # maskedCmp
  ;

argRef
  : ARG                                        # argPlain
  | U32 LPAREN ARG RPAREN                      # argLow32
  ;

cmpOp
  : EQ | NE | LT | LE | GT | GE
  ;

value
  : term (PIPE term)*
  ;

term
  : MINUS? (NUMBER | HEX)
  | ID
  ;

// A word: an identifier or any keyword, where the grammar wants a plain name.
word
  : ID | containerKeyword
  ;

// ---- lexer ------------------------------------------------------------------------------

CONTAINER      : 'container';
ROOTFS         : 'rootfs';
ARCHIVE        : 'archive';
READONLY       : 'readonly';
READWRITE      : 'readwrite';
CHROOT         : 'chroot';
WRITETHROUGH   : 'writethrough';
NAMESPACES     : 'namespaces';
HOSTNAME       : 'hostname';
MOUNT          : 'mount';
PID            : 'pid';
IPC            : 'ipc';
UTS            : 'uts';
NET            : 'net';
CGROUP         : 'cgroup';
TIME           : 'time';
AT             : 'at';
SIZE           : 'size';
MODE           : 'mode';
MASK           : 'mask';
DEVICE         : 'device';
NETWORK        : 'network';
HOST           : 'host';
GATEWAY        : 'gateway';
MTU            : 'mtu';
HOST_NAME      : 'host_name';
CONTAINER_NAME : 'container_name';
PUBLISH        : 'publish';
OUTBOUND       : 'outbound';
DNS            : 'dns';
LIMITS         : 'limits';
CAPABILITIES   : 'capabilities';
KEEP           : 'keep';
RLIMIT         : 'rlimit';
USER           : 'user';
GROUPS         : 'groups';
UIDMAP         : 'uidmap';
GIDMAP         : 'gidmap';
ENV            : 'env';
CWD            : 'cwd';
COMMAND        : 'command';
INIT           : 'init';
SECCOMP        : 'seccomp';
DEFAULT        : 'default';
LANDLOCK       : 'landlock';
TCP            : 'tcp';
UDP            : 'udp';
SIGNALS        : 'signals';
ABSTRACT_UNIX  : 'abstract_unix';

ARCH           : 'arch';
EXPECT         : 'expect';
OTHERWISE      : 'otherwise';
INCLUDE        : 'include';
GROUP          : 'group';
IF             : 'if';
ALLOW          : 'allow';
ERRNO          : 'errno';
KILL_THREAD    : 'kill_thread';
KILL_PROCESS   : 'kill_process';
TRAP           : 'trap';
LOG            : 'log';
TRACE          : 'trace';
NOTIFY         : 'notify';
U32            : 'u32';

LBRACE : '{';
RBRACE : '}';
LBRACK : '[';
RBRACK : ']';
LPAREN : '(';
RPAREN : ')';
ASSIGN : '=';
COLON  : ':';
EQ     : '==';
NE     : '!=';
LE     : '<=';
GE     : '>=';
LT     : '<';
GT     : '>';
AND    : '&&';
OR     : '||';
NOT    : '!';
AMP    : '&';
PIPE   : '|';
COMMA  : ',';
ELLIPSIS : '...';
MINUS  : '-';

// Order matters where two rules match the same text: the first one wins.
ARG      : 'arg' [0-9]+;
ADDRESS  : DIGITS '.' DIGITS '.' DIGITS '.' DIGITS ('/' DIGITS)?;
// IPv6 needs two colons at least (fd00::1, 2001:db8:0:0:0:0:0:1), so `user 1000:1000` stays
// two numbers; the checks validate the address itself.
ADDRESS6 : HEXDIGIT* ':' HEXDIGIT* ':' (HEXDIGIT | ':' | '.')* ('/' DIGITS)?;
HEX      : '0' [xX] [0-9a-fA-F]+;
NUMBER   : DIGITS;
RATIO    : QUANT '/' QUANT;                 // cpu 20ms/100ms
QUANTITY : QUANT;                           // 250M, 1.5G, 0.5, 20ms
STRING   : '"' (~["\\\r\n] | '\\' ~[\r\n])* '"';
GROUP_NAME : '@' [a-zA-Z_] [a-zA-Z0-9_\-]*;
ID       : [a-zA-Z_] [a-zA-Z0-9_]*;
PATH     : '/' PATH_CHAR*;
RELPATH  : [a-zA-Z0-9_.\-]+ '/' PATH_CHAR*;   // reported by the checks as not absolute

COMMENT  : '#' ~[\r\n]* -> skip;
WS       : [ \t\r\n]+ -> skip;
// Anything else is one bad character, reported by the parser with its position.
UNKNOWN_CHAR : .;

fragment DIGITS    : [0-9]+;
fragment HEXDIGIT  : [0-9a-fA-F];
fragment QUANT     : DIGITS ('.' DIGITS)? [a-zA-Z]*;
fragment PATH_CHAR : [a-zA-Z0-9_.\-+@:,%=~/];
