import { createApp } from 'vue'
import { createPinia } from 'pinia'
import type { LabApi } from '@shared/lab-api'
import App from './App.vue'
import { useClusterStore } from './stores/cluster'
import './assets/base.css'

const pinia = createPinia()
const app = createApp(App).use(pinia)
// The desktop app's preload exposes the LabApi as window.raftlab.
const real = (window as unknown as { raftlab?: LabApi }).raftlab ?? null
useClusterStore(pinia).connect({ real, sim: null })
app.mount('#app')
