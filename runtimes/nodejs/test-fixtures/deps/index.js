'use strict';
// requires a module from the function's own node_modules; counts invocations per module instance
const greeter = require('greeter');
let calls = 0;
exports.handler = async (event) => ({ greeting: greeter.greet(event.query.name || 'you'), calls: ++calls });
