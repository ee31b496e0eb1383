exports.notAHandler = 1;
