// GET /fn/hello?name=Ada  ->  {"message":"Hello, Ada!"}
exports.handler = async (event, context) => {
  const name = (event.query && event.query.name) || 'world';
  return { message: `${process.env.GREETING || 'Hello'}, ${name}!`, version: context.functionVersion };
};
