#!/bin/sh
# output.sh — where tools write: -o into devices, FIFOs and symbolic links,
# and what a failing tool leaves behind on a file, a pipe or a device.
. "$(dirname "$0")/../lib.sh"
cd "$T" || exit 2

nn-toy --samples 300 spirals >small.nns || exit 2
# a stream whose first megabytes are valid, truncated in its last record
nn-toy --samples 200000 spirals >big.nns || exit 2
head -c $(($(wc -c <big.nns) - 10)) big.nns >late.nns

# The devices are the test's own (made with mknod as root, else skipped),
# so that a tool that replaced them could not harm the system's: a null,
# a full device and a /dev/stdout-like link.
mknod null c 1 3 2>/dev/null && chmod 666 null || rm -f null
mknod full c 1 7 2>/dev/null && chmod 666 full || rm -f full
ln -s /proc/self/fd/1 stdout

# -o into a character device writes through: the null device stays one.
if [ -c null ]; then
    check "-o a null device (nn-cat)" nn-cat -o null small.nns
    check "-o a null device (nn-export)" nn-export -f csv -o null small.nns
    check "-o a null device (nn-toy)" nn-toy --samples 10 -o null sine
    if [ -c null ]; then ok "the null device is still a character device"
    else not_ok "the null device is still a character device" "$(ls -l null)"; fi
fi

# -o /dev/stdout writes into whatever stdout is.
nn-cat -o stdout small.nns | cat >via-pipe.nns
same "-o /dev/stdout into a pipe" small.nns via-pipe.nns
nn-cat -o stdout small.nns >via-file.nns
same "-o /dev/stdout into a file" small.nns via-file.nns

# -o into a FIFO writes through it (the reader gives up after 20 s).
mkfifo fifo
timeout 20 cat fifo >from-fifo.nns &
nn-cat -o fifo small.nns
wait
same "-o FIFO: the reader gets the stream" small.nns from-fifo.nns
if [ -p fifo ]; then ok "-o FIFO: still a FIFO"
else not_ok "-o FIFO: still a FIFO" "$(ls -l fifo)"; fi

# -o through symbolic links: the target is replaced, the link stays.
mkdir -p d
printf old >d/target.nns
ln -s d/target.nns link.nns
ln -s link.nns link2.nns
check "-o a link to a link" nn-cat -o link2.nns small.nns
same "-o a link: the target holds the stream" small.nns d/target.nns
if [ -L link.nns ] && [ -L link2.nns ]; then ok "-o a link: the links stay links"
else not_ok "-o a link: the links stay links" "$(ls -l link.nns link2.nns)"; fi
ln -s d/new.nns dangling.nns
check "-o a dangling link" nn-toy --samples 300 -o dangling.nns spirals
same "-o a dangling link: the target is created" small.nns d/new.nns
if [ -L dangling.nns ]; then ok "-o a dangling link: still a link"
else not_ok "-o a dangling link: still a link" "$(ls -l dangling.nns)"; fi
ln -s loop1 loop2; ln -s loop2 loop1
fails_clean "-o a loop of links" "symbolic links" nn-cat -o loop1 small.nns
fails_clean "-o a directory" "directory" nn-cat -o d small.nns
ls d | grep -q tmp && not_ok "no temporary files left" "$(ls d)" || ok "no temporary files left"

# A failing tool: a regular file on stdout is cut back to where the tool
# began (here: after what the shell wrote first); -o leaves the file as it
# was.  (Opened for appending, >>, it is left alone: others may append.)
for tool in "nn-cat" "nn-slice 0:" "nn-export -f csv"; do
    { printf 'keep\n'; $tool late.nns 2>/dev/null; } >out.file
    printf 'keep\n' >want.file
    same "late failure of $tool: stdout file cut back" want.file out.file
    cp small.nns o.nns
    $tool -o o.nns late.nns 2>/dev/null
    same "late failure of $tool: -o file untouched" small.nns o.nns
done
printf 'x' >out.file
nn-cat late.nns 1<>out.file 2>/dev/null
printf 'x' >want.file
same "late failure: a read-write stdout is cut back too" want.file out.file

# ... and a stream that went into a pipe or FIFO is marked as truncated
# (nn-standardize streams as it goes; the row tools would hold the first
# 64 MiB back, and a failure there leaves the pipe empty).
nn-standardize --fit small.nns >st.nns
nn-standardize --stats st.nns late.nns 2>/dev/null | cat >piped.nns
fails_clean "late failure into a pipe: marked truncated" "truncated" nn-info piped.nns
timeout 20 cat fifo >from-fifo.nns &
nn-standardize --stats st.nns -o fifo late.nns 2>/dev/null
wait
fails_clean "late failure into a FIFO: marked truncated" "truncated" nn-info from-fifo.nns

# A full device: a clear error, nothing left behind.
if [ -c full ]; then
    fails_clean "-o a full device" "write error on full" nn-cat -o full big.nns
    fails_clean "stdout on a full device" "write error" sh -c 'nn-cat big.nns >full'
    if [ -c full ]; then ok "the full device is still a character device"
    else not_ok "the full device is still a character device" "$(ls -l full)"; fi
fi

# However a path spells a descriptor (/dev/./fd/1, a relative link into
# /proc), it is written through, as that descriptor: appending after >>,
# never renaming a file over what stdout is.
nn-toy --samples 10 sine >log.nns
nn-toy --samples 10 -o /dev/./fd/1 sine >>log.nns
ln -s ../../../../../../../../../../proc/self/fd/1 fdlink
nn-toy --samples 10 -o fdlink sine >>log.nns
[ "$(nn-info -q log.nns 2>&1; nn-info log.nns | tail -1 | cut -d' ' -f3)" = 6 ] &&
    ok "-o /dev/./fd/1 and a relative link to /proc/self/fd/1 append after >>" ||
    not_ok "-o other spellings of /dev/stdout" "$(nn-info log.nns 2>&1 | tail -1)"
nn-toy --samples 10 -o fdlink sine | cat >fdpipe.nns
nn-toy --samples 10 sine >via-pipe10.nns
same "-o a relative link to /proc/self/fd/1 into a pipe" via-pipe10.nns fdpipe.nns
# ... and a regular file behind it is cut back when the tool fails.
{ printf 'keep\n'; nn-slice 0: -o stdout late.nns 2>/dev/null; } >out.file
printf 'keep\n' >want.file
same "late failure with -o /dev/stdout into a file: cut back" want.file out.file
