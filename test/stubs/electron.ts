// Stand-in for the `electron` module in unit tests: the real package would try to download its binary.
export const app = {}
export default {}
