// The benchmark (issue #7) is not written yet.
process.stderr.write('npm run bench: not yet implemented (issue #7)\n');
process.exitCode = 2;
