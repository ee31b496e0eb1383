// Named in NEST_PRELOAD by the host tests: its body must run when the host pre-loads it.
process.stdout.write('preload probe evaluated\n');
module.exports = {};
