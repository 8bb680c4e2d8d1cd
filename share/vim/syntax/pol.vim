" Vim syntax file for policyc policies (.pol), the language of grammar/Policy.g4.
" Install: copy share/vim/syntax/pol.vim to ~/.vim/syntax/ and share/vim/ftdetect/pol.vim to
" ~/.vim/ftdetect/ (or add share/vim to 'runtimepath'). Every keyword of the grammar is named
" below; tests/unit/frontend_syntax_files_test.cc fails when one is missing.
if exists("b:current_syntax")
  finish
endif

let s:cpo_save = &cpo
set cpo&vim

" Names may hold '_' (kill_process, host_name) and groups start with '@'.
syn iskeyword @,48-57,_,192-255

" Sections of a container.
syn keyword polSection container rootfs namespaces hostname mount mask readonly device network
syn keyword polSection limits capabilities rlimit user groups uidmap gidmap env cwd command init landlock
" Words inside sections: options, namespace names, network settings.
syn keyword polOption archive readwrite chroot writethrough at size mode keep
syn keyword polOption pid ipc uts net cgroup time host gateway mtu host_name container_name
syn keyword polOption publish outbound dns tcp udp signals abstract_unix
" The seccomp block and its statements.
syn keyword polSeccomp seccomp default arch otherwise include group expect if u32
" Actions.
syn keyword polAction allow errno kill_thread kill_process trap log trace notify

syn match polArg "\<arg[0-9]\+\>"
syn match polGroupName "@[A-Za-z_][A-Za-z0-9_-]*"
syn match polNumber "\<\d\+\%(\.\d\+\)\=[A-Za-z]*\>"
syn match polNumber "\<0[xX]\x\+\>"
syn match polNumber "\<\d\+\%(\.\d\+\)\=[A-Za-z]*/\d\+\%(\.\d\+\)\=[A-Za-z]*\>"
syn match polAddress "\<\d\+\.\d\+\.\d\+\.\d\+\%(/\d\+\)\=\>"
syn match polPath "\%(^\|\s\)\zs/[A-Za-z0-9_.+@:,%=~/-]*"
syn match polOperator "==\|!=\|<=\|>=\|&&\|||\|[<>!&|=]"
syn region polString start=+"+ skip=+\\.+ end=+"+ oneline contains=polEscape
syn match polEscape +\\.+ contained
syn match polComment "#.*$" contains=polTodo
syn keyword polTodo TODO FIXME XXX contained

hi def link polSection Statement
hi def link polOption Type
hi def link polSeccomp PreProc
hi def link polAction Keyword
hi def link polArg Identifier
hi def link polGroupName Special
hi def link polNumber Number
hi def link polAddress Number
hi def link polPath Constant
hi def link polOperator Operator
hi def link polString String
hi def link polEscape SpecialChar
hi def link polComment Comment
hi def link polTodo Todo

let b:current_syntax = "pol"

let &cpo = s:cpo_save
unlet s:cpo_save
