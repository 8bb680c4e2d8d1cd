" policyc policies (.pol): see share/vim/syntax/pol.vim
autocmd BufRead,BufNewFile *.pol setfiletype pol
