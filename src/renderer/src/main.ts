import { createApp } from 'vue'
import { createPinia } from 'pinia'
import App from './App.vue'
import { getLabApi } from './api/get-lab-api'
import { startSimWorker } from './sim/sim-lab-api'
import { useClusterStore } from './stores/cluster'
import './assets/base.css'

const pinia = createPinia()
const app = createApp(App).use(pinia)
// Real processes through the desktop preload or browser mode's WebSocket; the
// simulator in a Web Worker, started the first time simulated mode is chosen.
useClusterStore(pinia).connect({ real: getLabApi(), sim: startSimWorker })
app.mount('#app')
